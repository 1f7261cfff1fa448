// Runs the ConverseStream translator on the same input whole and in chunks
// split at points derived from it: the OpenAI events, the error and the
// usage must not depend on the split. Random bytes rarely pass two CRCs, so
// an input whose first byte is odd is read as a script instead: each line
// "<k><payload>" becomes a valid frame whose :event-type (or exception) is
// picked by k, so the fuzzer explores the translator rather than the CRC.
#include "core/eventstream.hpp"
#include "fuzz_support.hpp"
#include "providers/bedrock.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace eventstream = llmgw::eventstream;
using llmgw::providers::stream_options;

constexpr std::string_view k_event_types[] = {"messageStart",     "contentBlockStart", "contentBlockDelta",
                                              "contentBlockStop", "messageStop",       "metadata",
                                              "somethingNew"};

std::string frames_from_script(std::string_view script) {
  std::string out;
  while (!script.empty()) {
    const auto nl = script.find('\n');
    std::string_view line = script.substr(0, nl);
    script = nl == std::string_view::npos ? std::string_view{} : script.substr(nl + 1);
    if (line.empty()) continue;
    const auto k = static_cast<unsigned char>(line[0]);
    const std::string_view payload = line.substr(1);
    if (k % 16 == 15) {
      eventstream::append_event_message(
          out, {{":exception-type", "throttlingException"}, {":message-type", "exception"}}, payload);
    } else {
      eventstream::append_event_message(out,
                                        {{":event-type", k_event_types[k % std::size(k_event_types)]},
                                         {":content-type", "application/json"},
                                         {":message-type", "event"}},
                                        payload);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string input = (data[0] & 1) ? frames_from_script(raw.substr(1)) : std::string(raw.substr(1));
  const auto& bedrock = llmgw::providers::bedrock_provider();
  const auto make = [&](const stream_options& o) { return bedrock.translate_stream(o); };
  llmgw::fuzz::check_translator("bedrock_stream_fuzz", make, input, 31);
  return 0;
}
