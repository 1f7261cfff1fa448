// Feeds the eventstream decoder the same bytes whole, in chunks split at
// points derived from the input, and (for short inputs) byte by byte: the
// messages, the failure and what is left pending must not depend on the
// split. Every decoded message re-encodes to a frame the decoder reads back.
#include "core/eventstream.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace eventstream = llmgw::eventstream;

struct outcome {
  std::vector<eventstream::event_message> messages;
  bool failed = false;
  bool partial = false;
};

bool same(const eventstream::event_message& a, const eventstream::event_message& b) {
  return a.event_type == b.event_type && a.message_type == b.message_type && a.content_type == b.content_type &&
         a.exception_type == b.exception_type && a.error_code == b.error_code && a.error_message == b.error_message &&
         a.payload == b.payload;
}

bool same(const outcome& a, const outcome& b) {
  if (a.failed != b.failed || a.partial != b.partial || a.messages.size() != b.messages.size()) return false;
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    if (!same(a.messages[i], b.messages[i])) return false;
  }
  return true;
}

outcome decode(std::string_view input, const std::vector<std::size_t>& cuts) {
  eventstream::eventstream_decoder d;
  outcome out;
  std::size_t at = 0;
  auto drain = [&] {
    eventstream::event_message m;
    while (d.next(m)) out.messages.push_back(m);
  };
  for (std::size_t cut : cuts) {
    d.feed(input.substr(at, cut - at));
    drain();
    at = cut;
  }
  d.feed(input.substr(at));
  drain();
  out.failed = d.failed();
  out.partial = d.partial();
  return out;
}

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "aws_eventstream_fuzz", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::vector<std::size_t> cuts = llmgw::fuzz::cut_points(input, size, 23);

  const outcome whole = decode(input, {});
  check(same(whole, decode(input, cuts)), "chunked decoding differs");
  if (size <= 512) {
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < size; ++i) every_byte.push_back(i);
    check(same(whole, decode(input, every_byte)), "byte-by-byte decoding differs");
  }

  // What was read re-encodes (string headers only) into frames that decode alike.
  std::string again;
  for (const auto& m : whole.messages) {
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    if (!m.event_type.empty()) headers.emplace_back(":event-type", m.event_type);
    if (!m.message_type.empty()) headers.emplace_back(":message-type", m.message_type);
    if (!m.content_type.empty()) headers.emplace_back(":content-type", m.content_type);
    if (!m.exception_type.empty()) headers.emplace_back(":exception-type", m.exception_type);
    if (!m.error_code.empty()) headers.emplace_back(":error-code", m.error_code);
    if (!m.error_message.empty()) headers.emplace_back(":error-message", m.error_message);
    eventstream::append_event_message(again, headers, m.payload);
  }
  const outcome round_trip = decode(again, {});
  check(!round_trip.failed && !round_trip.partial, "re-encoded frames do not decode");
  check(round_trip.messages.size() == whole.messages.size(), "re-encoded frames lost messages");
  for (std::size_t i = 0; i < whole.messages.size(); ++i)
    check(same(whole.messages[i], round_trip.messages[i]), "re-encoded message differs");
  return 0;
}
