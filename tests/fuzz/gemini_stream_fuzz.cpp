// Feeds the Gemini stream translator the same bytes whole, in chunks split
// at points derived from the input, and byte by byte (short inputs): the
// client stream, the error and the usage must not depend on the split. The
// non-streamed decoders read the same bytes for crashes only.
#include "providers/gemini.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct outcome {
  std::string out;
  bool failed = false;
  int status = 0;
  std::optional<llmgw::token_usage> usage;
};

outcome translate(std::string_view input, const std::vector<std::size_t>& cuts, bool include_usage) {
  llmgw::providers::stream_options so;
  so.requested_model = "fuzz-model";
  so.include_usage = include_usage;
  so.id = "chatcmpl-fuzz";
  so.created = 1700000000;
  auto t = llmgw::providers::gemini_provider().translate_stream(so);
  outcome o;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t->feed(input.substr(at, cut - at), o.out);
    at = cut;
  }
  t->feed(input.substr(at), o.out);
  t->finish(o.out);
  o.failed = t->error().has_value();
  if (o.failed) o.status = t->error()->status;
  o.usage = t->usage();
  return o;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "gemini_stream_fuzz: %s\n", what);
    std::abort();
  }
}

void check_same(const outcome& a, const outcome& b, const char* what) {
  check(a.out == b.out, what);
  check(a.failed == b.failed && a.status == b.status, what);
  check(a.usage == b.usage, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::uint64_t state = 1469598103934665603ULL;
  for (std::uint8_t b : input) state = (state ^ b) * 1099511628211ULL;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0;;) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    at += 1 + (state >> 33) % 17;
    if (at >= size) break;
    cuts.push_back(at);
  }
  std::vector<std::size_t> every_byte;
  if (size <= 256) {
    for (std::size_t i = 1; i < size; ++i) every_byte.push_back(i);
  }

  for (bool include_usage : {true, false}) {
    const outcome whole = translate(input, {}, include_usage);
    check_same(whole, translate(input, cuts, include_usage), "chunked output differs");
    if (!every_byte.empty()) check_same(whole, translate(input, every_byte, include_usage), "byte-by-byte output differs");
    // A stream either completes with [DONE] or fails without it.
    const bool done = whole.out.ends_with("data: [DONE]\n\n");
    check(done != whole.failed, "a stream must end with [DONE] or an error, not both or neither");
    if (whole.failed) check(whole.status >= 400 && whole.status <= 599, "error status out of range");
  }

  (void)llmgw::providers::gemini_provider().decode_chat(input, "fuzz-model", nullptr);
  (void)llmgw::providers::gemini_provider().decode_embeddings(input, "fuzz-model", nullptr);
  (void)llmgw::providers::gemini_provider().decode_error(429, input);
  return 0;
}
