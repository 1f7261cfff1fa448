// The Anthropic stream translator on arbitrary bytes: the invariants of
// fuzz_support.hpp (split-independent output, error and usage; [DONE] xor
// an error).
#include "fuzz_support.hpp"
#include "providers/anthropic.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  llmgw::fuzz::check_translator("anthropic_stream_fuzz", llmgw::providers::make_anthropic_stream_translator, input, 23);
  return 0;
}
