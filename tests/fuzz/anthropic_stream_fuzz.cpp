// Feeds the Anthropic stream translator the same bytes whole and in chunks
// split at points derived from the input: the OpenAI events, the error and
// the usage must not depend on where the bytes were split, and a stream
// either ends with [DONE] or with an error, never both.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "providers/anthropic.hpp"

namespace {

struct outcome {
  std::string out;
  bool failed = false;
  int status = 0;
  std::optional<llmgw::token_usage> usage;
};

outcome translate(std::string_view input, const std::vector<std::size_t>& cuts, bool include_usage) {
  llmgw::providers::stream_options o;
  o.requested_model = "fuzz";
  o.include_usage = include_usage;
  o.id = "chatcmpl-fuzz";
  o.created = 1;
  auto t = llmgw::providers::make_anthropic_stream_translator(o);
  outcome r;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t->feed(input.substr(at, cut - at), r.out);
    at = cut;
  }
  t->feed(input.substr(at), r.out);
  t->finish(r.out);
  r.failed = t->error().has_value();
  if (r.failed) r.status = t->error()->status;
  r.usage = t->usage();
  return r;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "anthropic_stream_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::uint64_t state = 1469598103934665603ULL;
  for (std::uint8_t b : input) state = (state ^ b) * 1099511628211ULL;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0;;) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    at += 1 + (state >> 33) % 23;
    if (at >= size) break;
    cuts.push_back(at);
  }

  for (bool include_usage : {false, true}) {
    const outcome whole = translate(input, {}, include_usage);
    const outcome chunked = translate(input, cuts, include_usage);
    check(whole.out == chunked.out, "chunked output differs");
    check(whole.failed == chunked.failed && whole.status == chunked.status, "chunked error differs");
    check(whole.usage == chunked.usage, "chunked usage differs");
    const bool done = whole.out.ends_with("data: [DONE]\n\n");
    check(done != whole.failed, "a stream must end with [DONE] or an error");
    check(whole.out.empty() || whole.out.starts_with("data: {"), "output is not OpenAI SSE");
  }
  return 0;
}
