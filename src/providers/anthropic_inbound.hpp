#pragma once
// Anthropic Messages API inbound: clients using the Anthropic SDK against
// POST /v1/messages, served by a vendor that speaks (or is translated to)
// OpenAI Chat Completions. Pure translation, no I/O:
//   Anthropic request  → OpenAI request body       (anthropic_inbound_request.cpp)
//   OpenAI response    → Anthropic message         (anthropic_inbound_response.cpp)
//   OpenAI SSE chunks  → Anthropic SSE events      (anthropic_inbound_stream.cpp)
//   gateway_error      → Anthropic error body      (anthropic_inbound_errors.cpp)
// When the route leads to Anthropic itself the api layer passes the client's
// body through instead (api/attempts.cpp), so nothing here needs to be lossless.
#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/gateway_error.hpp"
#include "core/sse_reader.hpp"
#include "core/token_usage.hpp"

namespace llmgw::providers {

// ---------------------------------------------------------------- request

// What the api layer needs before routing.
struct messages_request_info {
  std::string model;
  bool stream = false;
  std::int64_t max_tokens = 0;
  std::string user_id;  // metadata.user_id; empty: not given
};

// Validates an Anthropic Messages body. Errors are 400 invalid_request_error
// with the field path in Anthropic's style ("messages.0.content: ...") as
// message prefix and as param.
boost::system::result<messages_request_info, gateway_error> parse_messages_request(std::string_view body);

// The same validation, then the equivalent OpenAI chat request body. A
// streamed request asks for the usage chunk, so usage is always known.
boost::system::result<std::string, gateway_error> messages_to_openai(std::string_view body);

// A validated request, kept parsed so that translating it later (once the
// route is known) does not read the body again.
struct messages_request {
  messages_request_info info;
  std::shared_ptr<const boost::json::value> doc;
};
boost::system::result<messages_request, gateway_error> read_messages_request(std::string_view body);
// The OpenAI body for `r`, naming `model` (the vendor's id; empty: the client's).
boost::system::result<std::string, gateway_error> messages_to_openai(const messages_request& r, std::string_view model);

// ---------------------------------------------------------------- response

// "msg_" + 24 hex digits.
std::string new_message_id();

// An OpenAI chat.completion body → an Anthropic message with a fresh id and
// `requested_model` as model. A body that is not a chat completion is a 502.
// `usage`, when given, receives the vendor's counts.
boost::system::result<std::string, gateway_error> openai_to_messages_response(std::string_view openai_body,
                                                                              std::string_view requested_model,
                                                                              token_usage* usage = nullptr);

// OpenAI finish_reason → Anthropic stop_reason. A matched client stop
// sequence cannot be told apart from a natural stop, so both are end_turn.
std::string_view anthropic_stop_reason(std::string_view finish_reason);

// The Anthropic "usage" object: input_tokens excludes the cached part, which
// is reported as cache_read_input_tokens.
void append_anthropic_usage(std::string& out, const token_usage& u);

// ---------------------------------------------------------------- stream

// Turns an OpenAI chat.completion.chunk stream into the event sequence of
// Anthropic's streaming Messages API: message_start, then for each content
// block content_block_start / content_block_delta… / content_block_stop,
// then message_delta (stop_reason, usage) and message_stop. Each event is
// "event: <type>\ndata: <json>\n\n".
class messages_stream_writer {
 public:
  messages_stream_writer(std::string message_id, std::string model);

  // Vendor bytes as they arrive, split anywhere; appends the events that are
  // complete. Everything after an error or message_stop is ignored.
  void feed(std::string_view bytes, std::string& out);
  // The vendor's body ended. A stream that never reached [DONE] (or the end
  // of its message) gets an error event, as Anthropic sends on failures.
  void finish(std::string& out);

  bool completed() const { return stopped_; }  // message_stop was sent
  bool failed() const { return failed_; }      // an error event was sent
  const std::optional<token_usage>& usage() const { return usage_; }

 private:
  enum class block_kind { none, text, tool_use };

  void on_data(std::string_view data, std::string& out);
  void on_chunk(const boost::json::object& chunk, std::string& out);
  void on_tool_call(const boost::json::object& call, std::size_t position, std::string& out);
  void text(std::string_view fragment, std::string& out);
  void start_message(std::string& out);
  void open_text_block(std::string& out);
  void open_tool_block(std::string_view tool_id, std::string_view name, std::string& out);
  void close_block(std::string& out);
  void end_message(std::string& out);
  void error(std::string_view type, std::string_view message, std::string& out);
  void drain(std::string& out);
  bool ended() const { return stopped_ || failed_; }

  std::string id_;
  std::string model_;
  sse_reader reader_;
  bool started_ = false;
  bool stopped_ = false;
  bool failed_ = false;
  std::optional<std::string> finish_reason_;  // from the choice, until message_delta
  std::optional<token_usage> usage_;
  int next_block_ = 0;
  int open_block_ = -1;
  block_kind open_kind_ = block_kind::none;
  std::vector<std::pair<std::int64_t, int>> tool_blocks_;  // OpenAI tool_calls index → content block index
};

// ---------------------------------------------------------------- errors

// {"type":"error","error":{"type":…,"message":…}}, the type chosen by status
// as Anthropic documents it (400 invalid_request_error … 529 overloaded_error).
std::string render_anthropic_error(const gateway_error& e);

// The HTTP status to answer with: the gateway's own (503 stays 503: Anthropic
// documents only 529 for overload, but its SDKs know 503 too and retry both).
int anthropic_status_for(const gateway_error& e);

// Anthropic "type" for an HTTP status.
std::string_view anthropic_error_type_for(int status);

}  // namespace llmgw::providers
