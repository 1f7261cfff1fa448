// The Gemini stream translator on arbitrary bytes: the invariants of
// fuzz_support.hpp. The non-streamed decoders read the same bytes, for
// crashes only.
#include "fuzz_support.hpp"
#include "providers/gemini.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto& gemini = llmgw::providers::gemini_provider();
  const auto make = [&](const llmgw::providers::stream_options& o) { return gemini.translate_stream(o); };
  llmgw::fuzz::check_translator("gemini_stream_fuzz", make, input, 17);
  (void)gemini.decode_chat(input, "fuzz-model", nullptr);
  (void)gemini.decode_embeddings(input, "fuzz-model", nullptr);
  (void)gemini.decode_error(429, input);
  return 0;
}
