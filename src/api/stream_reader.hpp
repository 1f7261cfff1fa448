#pragma once
// Reads what a vendor's stream says, by the attempt's wire, and writes what
// the client gets: OpenAI-compatible events are forwarded as they are (less
// the usage chunk asked for on the client's behalf), an adapter's translator
// turns the vendor's events into OpenAI's, Anthropic's own stream to an
// Anthropic client is only read for its usage; then, for an Anthropic
// client of another vendor, OpenAI events become Anthropic's. Chosen once
// per stream. I/O-free and free of the request context: two attempts of a
// hedged request each have one, and only the winner's usage is the request's.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/attempt_plan.hpp"
#include "core/gateway_error.hpp"
#include "core/sse_reader.hpp"
#include "core/token_usage.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_inbound.hpp"

namespace llmgw::api {

struct stream_reader_options {
  std::string_view requested_model;  // as the client named it (echoed in translated events)
  std::string_view id_suffix;        // the request id's random part: a translated stream's chunk id is "chatcmpl-" + it
  bool client_wants_usage = false;
};

class stream_reader {
 public:
  stream_reader(const attempt_plan& plan, const stream_reader_options& o);

  // Turns one upstream read (`in`, possibly empty) into what the client
  // gets (appended to `out`; `scratch` is working space); `ended` at the end
  // of the vendor's body. A stream the vendor ended with an error leaves it
  // in failure(); bytes the SSE reader cannot frame set protocol_error().
  void feed(std::string_view in, bool ended, std::string& out, std::string& scratch);

  std::optional<gateway_error>& failure() { return failure_; }
  bool protocol_error() const { return protocol_error_; }
  // The vendor's error event, already written in Anthropic's shape by the
  // translation for an Anthropic client.
  bool failed_in_client_shape() const { return to_anthropic_ && to_anthropic_->failed(); }
  // The usage the vendor has reported so far.
  const std::optional<token_usage>& usage() const { return usage_; }

 private:
  wire kind_;
  bool client_wants_usage_;
  // One of these per wire, on the heap: a pass-through stream needs neither.
  std::unique_ptr<providers::stream_translator> translator_;
  std::unique_ptr<providers::anthropic_usage_reader> usage_reader_;
  std::unique_ptr<providers::messages_stream_writer> to_anthropic_;
  sse_reader sse_;
  sse_event event_;
  std::optional<gateway_error> failure_;
  std::optional<token_usage> usage_;
  bool protocol_error_ = false;
};

}  // namespace llmgw::api
