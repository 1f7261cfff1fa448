// Runs the ConverseStream translator on the same input whole and in chunks
// split at points derived from it: the OpenAI events, the error and the
// usage must not depend on the split. Random bytes rarely pass two CRCs, so
// an input whose first byte is odd is read as a script instead: each line
// "<k><payload>" becomes a valid frame whose :event-type (or exception) is
// picked by k, so the fuzzer explores the translator rather than the CRC.
#include "providers/aws_eventstream.hpp"
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

namespace aws = llmgw::providers::aws;
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
      aws::append_event_message(out, {{":exception-type", "throttlingException"}, {":message-type", "exception"}},
                                payload);
    } else {
      aws::append_event_message(out,
                                {{":event-type", k_event_types[k % std::size(k_event_types)]},
                                 {":content-type", "application/json"},
                                 {":message-type", "event"}},
                                payload);
    }
  }
  return out;
}

struct outcome {
  std::string out;
  std::string error;
  bool has_usage = false;
  std::int64_t total_tokens = 0;
  bool operator==(const outcome&) const = default;
};

outcome translate(std::string_view input, const std::vector<std::size_t>& cuts) {
  stream_options o;
  o.requested_model = "m";
  o.include_usage = true;
  o.id = "chatcmpl-fuzz";
  o.created = 1;
  auto t = llmgw::providers::bedrock_provider().translate_stream(o);
  outcome r;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t->feed(input.substr(at, cut - at), r.out);
    at = cut;
  }
  t->feed(input.substr(at), r.out);
  t->finish(r.out);
  if (t->error()) r.error = t->error()->message;
  if (t->usage()) {
    r.has_usage = true;
    r.total_tokens = t->usage()->total_tokens;
  }
  return r;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bedrock_stream_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string input = (data[0] & 1) ? frames_from_script(raw.substr(1)) : std::string(raw.substr(1));

  std::uint64_t state = 1469598103934665603ULL;
  for (std::uint8_t b : raw) state = (state ^ b) * 1099511628211ULL;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0;;) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    at += 1 + (state >> 33) % 31;
    if (at >= input.size()) break;
    cuts.push_back(at);
  }

  const outcome whole = translate(input, {});
  check(whole == translate(input, cuts), "chunked translation differs");
  // A stream either completes with [DONE] or reports an error, never both.
  const bool done = whole.out.ends_with("data: [DONE]\n\n");
  check(done != !whole.error.empty(), "neither [DONE] nor an error, or both");
  return 0;
}
