// ConverseStream (application/vnd.amazon.eventstream) → OpenAI
// chat.completion.chunk events. Each eventstream message names its event in
// the :event-type header and carries the event's members as its JSON payload:
//   messageStart {role} · contentBlockStart {contentBlockIndex, start.toolUse{toolUseId,name}}
//   contentBlockDelta {contentBlockIndex, delta.text | delta.toolUse.input}
//   contentBlockStop · messageStop {stopReason} · metadata {usage, metrics}
// Exceptions arrive as :message-type exception with :exception-type.
#include <boost/json.hpp>

#include <map>
#include <utility>

#include "core/eventstream.hpp"
#include "providers/bedrock.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

const json::object* object_at(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::string_view string_at(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

std::optional<std::int64_t> index_at(const json::object& o) {
  const auto* v = o.if_contains("contentBlockIndex");
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

class bedrock_stream final : public stream_translator {
 public:
  explicit bedrock_stream(const stream_options& o)
      : writer_(o.id, o.created, std::string(o.requested_model), o.include_usage) {}

  void feed(std::string_view bytes, std::string& out) override {
    if (error_) return;
    decoder_.feed(bytes);
    eventstream::event_message m;
    while (!error_ && decoder_.next(m)) handle(m, out);
    if (!error_ && decoder_.failed()) {
      error_ = upstream_unavailable("The upstream provider bedrock sent a stream that could not be decoded (" +
                                    decoder_.error() + ").");
    }
  }

  void finish(std::string& out) override {
    if (error_) return;
    if (!stopped_) {
      error_ = upstream_unavailable("The upstream provider bedrock ended the stream before messageStop.");
      return;
    }
    if (decoder_.partial()) {
      error_ = upstream_unavailable("The upstream provider bedrock ended the stream inside a message.");
      return;
    }
    writer_.done(out, usage_);
  }

  const std::optional<gateway_error>& error() const override { return error_; }
  const std::optional<token_usage>& usage() const override { return usage_; }

 private:
  void handle(const eventstream::event_message& m, std::string& out) {
    if (m.message_type == "exception") {
      error_ = bedrock_stream_exception(m.exception_type, m.payload);
      return;
    }
    if (m.message_type == "error") {
      error_ = upstream_unavailable("The upstream provider bedrock reported a stream error: " + m.error_code + " " +
                                    m.error_message);
      return;
    }
    boost::system::error_code ec;
    const json::value v = json::parse(m.payload, ec);
    if (ec || !v.is_object()) {
      error_ = upstream_unavailable("The upstream provider bedrock sent a stream event that could not be decoded.");
      return;
    }
    const auto& event = v.get_object();
    const std::string_view type = m.event_type;
    if (type == "messageStart") {
      writer_.role(out);
    } else if (type == "contentBlockStart") {
      const auto* start = object_at(event, "start");
      const auto* use = start ? object_at(*start, "toolUse") : nullptr;
      const auto index = index_at(event);
      if (use && index) {
        tool_index_[*index] = writer_.tool_call_start(out, string_at(*use, "toolUseId"), string_at(*use, "name"));
      }
    } else if (type == "contentBlockDelta") {
      const auto* delta = object_at(event, "delta");
      if (!delta) return;
      if (const auto* text = delta->if_contains("text"); text && text->is_string()) {
        writer_.content(out, text->get_string());
      } else if (const auto* use = object_at(*delta, "toolUse")) {
        const auto index = index_at(event);
        const auto it = index ? tool_index_.find(*index) : tool_index_.end();
        if (it != tool_index_.end()) writer_.tool_call_arguments(out, it->second, string_at(*use, "input"));
      }
      // reasoningContent deltas have no chat.completion.chunk field.
    } else if (type == "messageStop") {
      stopped_ = true;
      writer_.finish(out, bedrock_finish_reason(string_at(event, "stopReason")));
    } else if (type == "metadata") {
      if (const auto* usage = object_at(event, "usage")) usage_ = bedrock_usage(*usage);
    }
    // contentBlockStop and events added later carry nothing for the client.
  }

  chunk_writer writer_;
  eventstream::eventstream_decoder decoder_;
  std::map<std::int64_t, int> tool_index_;  // contentBlockIndex → OpenAI tool call index
  bool stopped_ = false;
  std::optional<gateway_error> error_;
  std::optional<token_usage> usage_;
};

}  // namespace

std::unique_ptr<stream_translator> make_bedrock_stream_translator(const stream_options& o) {
  return std::make_unique<bedrock_stream>(o);
}

}  // namespace llmgw::providers
