#pragma once
// What the fuzz targets share: split points derived from the input (so a
// crash reproduces from the input alone), a check that aborts with the
// target's name, and the invariants every stream translator keeps whatever
// the bytes: the same output, error and usage however the input is split,
// and an end that is either [DONE] or an error, never both.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.hpp"

namespace llmgw::fuzz {

inline void check(bool ok, const char* target, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
  }
}

// Offsets in (0, size) at steps of 1..max_step, drawn from a hash of `seed`.
inline std::vector<std::size_t> cut_points(std::string_view seed, std::size_t size, unsigned max_step) {
  std::uint64_t state = 1469598103934665603ULL;
  for (unsigned char b : seed) state = (state ^ b) * 1099511628211ULL;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0;;) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    at += 1 + (state >> 33) % max_step;
    if (at >= size) break;
    cuts.push_back(at);
  }
  return cuts;
}

struct translation {
  std::string out;
  std::optional<gateway_error> error;
  std::optional<token_usage> usage;
  bool operator==(const translation& o) const {
    const bool same_error = error.has_value() == o.error.has_value() &&
                            (!error || (error->status == o.error->status && error->message == o.error->message));
    return out == o.out && same_error && usage == o.usage;
  }
};

// `make(const providers::stream_options&)` returns a fresh translator.
template <class Make>
translation translate(const Make& make, std::string_view input, const std::vector<std::size_t>& cuts,
                      bool include_usage) {
  providers::stream_options o;
  o.requested_model = "fuzz-model";
  o.include_usage = include_usage;
  o.id = "chatcmpl-fuzz";
  o.created = 1700000000;
  auto t = make(o);
  translation r;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t->feed(input.substr(at, cut - at), r.out);
    at = cut;
  }
  t->feed(input.substr(at), r.out);
  t->finish(r.out);
  r.error = t->error();
  r.usage = t->usage();
  return r;
}

template <class Make>
void check_translator(const char* target, const Make& make, std::string_view input, unsigned max_step) {
  const auto cuts = cut_points(input, input.size(), max_step);
  std::vector<std::size_t> every_byte;
  if (input.size() <= 256) {
    for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  }
  for (bool include_usage : {false, true}) {
    const translation whole = translate(make, input, {}, include_usage);
    check(whole == translate(make, input, cuts, include_usage), target, "chunked translation differs");
    if (!every_byte.empty())
      check(whole == translate(make, input, every_byte, include_usage), target, "byte-by-byte translation differs");
    const bool done = whole.out.ends_with("data: [DONE]\n\n");
    check(done != whole.error.has_value(), target, "a stream must end with [DONE] or an error, not both or neither");
    check(whole.out.empty() || whole.out.starts_with("data: {"), target, "output is not OpenAI SSE");
  }
}

}  // namespace llmgw::fuzz
