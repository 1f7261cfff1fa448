// Anthropic Messages SSE events → OpenAI chat.completion.chunk events.
//
// Anthropic numbers content blocks (text, tool_use, thinking…) in one
// sequence; OpenAI has one content string plus tool calls numbered from 0.
// Each block is mapped when it starts, and its deltas follow that mapping.
#include <boost/json.hpp>

#include <utility>
#include <vector>

#include "core/sse_reader.hpp"
#include "providers/anthropic.hpp"
#include "providers/json_fields.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

class anthropic_stream_translator final : public stream_translator {
 public:
  explicit anthropic_stream_translator(const stream_options& o)
      : writer_(o.id, o.created, std::string(o.requested_model), o.include_usage) {}

  void feed(std::string_view bytes, std::string& out) override {
    if (done()) return;
    reader_.feed(bytes);
    drain(out);
  }

  void finish(std::string& out) override {
    if (!done()) {
      reader_.finish();
      drain(out);
    }
    if (error_) return;
    if (!stopped_) {
      error_ = upstream_unavailable("The upstream provider anthropic ended the stream before message_stop.");
      return;
    }
    writer_.done(out, usage_);
  }

  const std::optional<gateway_error>& error() const override { return error_; }
  const std::optional<token_usage>& usage() const override { return usage_; }

 private:
  enum class block_kind { text, tool, answer, ignored };
  struct block {
    std::int64_t anthropic_index;
    block_kind kind;
    int tool_index;  // OpenAI index of a tool block
  };

  bool done() const { return error_.has_value() || stopped_; }

  void drain(std::string& out) {
    sse_event ev;
    while (!done() && reader_.next(ev)) {
      if (ev.has_data) on_event(ev.data, out);
    }
    if (!done() && reader_.failed())
      error_ = upstream_unavailable("The upstream provider anthropic sent an oversized stream event.");
  }

  // The data's own "type" decides: Anthropic repeats it in the event: line.
  void on_event(std::string_view data, std::string& out) {
    boost::system::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) {
      error_ = upstream_unavailable("The upstream provider anthropic sent a stream event that could not be decoded.");
      return;
    }
    const auto& e = v.get_object();
    const auto type = string_in(e, "type");
    if (type == "message_start") {
      on_message_start(e, out);
    } else if (type == "content_block_start") {
      on_block_start(e, out);
    } else if (type == "content_block_delta") {
      on_block_delta(e, out);
    } else if (type == "message_delta") {
      on_message_delta(e);
    } else if (type == "message_stop") {
      writer_.finish(out, openai_finish_reason_for(stop_reason_, writer_.tool_calls() == 0));
      stopped_ = true;
    } else if (type == "error") {
      const auto* err = object_in(e, "error");
      const int status = anthropic_status_for_error_type(err ? string_in(*err, "type") : std::string_view());
      error_ = decode_anthropic_error(status, data);
    }
    // ping, content_block_stop and event types added later need nothing.
  }

  void on_message_start(const json::object& e, std::string& out) {
    writer_.role(out);
    const auto* message = object_in(e, "message");
    const auto* usage = message ? object_in(*message, "usage") : nullptr;
    if (usage) update_usage(*usage);
  }

  void update_usage(const json::object& u) { usage_ = tally_.update(u); }

  void on_block_start(const json::object& e, std::string& out) {
    const auto* content_block = object_in(e, "content_block");
    if (!content_block) return;
    const std::int64_t index = count_of(e, "index");
    const auto type = string_in(*content_block, "type");
    block b{index, block_kind::ignored, -1};
    if (type == "text") {
      b.kind = block_kind::text;
      writer_.content(out, string_in(*content_block, "text"));
    } else if (type == "tool_use") {
      const auto name = string_in(*content_block, "name");
      if (is_answer_tool(name)) {
        b.kind = block_kind::answer;
        writer_.role(out);
      } else {
        b.kind = block_kind::tool;
        b.tool_index = writer_.tool_call_start(out, string_in(*content_block, "id"), name);
      }
    }
    blocks_.push_back(b);
  }

  const block* find_block(std::int64_t index) const {
    // Newest first: deltas almost always belong to the block just started.
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->anthropic_index == index) return &*it;
    }
    return nullptr;
  }

  void on_block_delta(const json::object& e, std::string& out) {
    const auto* b = find_block(count_of(e, "index"));
    const auto* delta = object_in(e, "delta");
    if (!b || !delta) return;
    const auto type = string_in(*delta, "type");
    if (type == "text_delta" && b->kind == block_kind::text) {
      writer_.content(out, string_in(*delta, "text"));
    } else if (type == "input_json_delta") {
      const auto fragment = string_in(*delta, "partial_json");
      if (b->kind == block_kind::tool) writer_.tool_call_arguments(out, b->tool_index, fragment);
      if (b->kind == block_kind::answer) writer_.content(out, fragment);
    }
  }

  void on_message_delta(const json::object& e) {
    if (const auto* delta = object_in(e, "delta")) {
      if (auto reason = string_in(*delta, "stop_reason"); !reason.empty()) stop_reason_ = reason;
    }
    if (const auto* usage = object_in(e, "usage")) update_usage(*usage);
  }

  chunk_writer writer_;
  sse_reader reader_;
  std::vector<block> blocks_;
  std::string stop_reason_;
  anthropic_usage_tally tally_;
  bool stopped_ = false;  // message_stop seen
  std::optional<gateway_error> error_;
  std::optional<token_usage> usage_;
};

}  // namespace

std::unique_ptr<stream_translator> make_anthropic_stream_translator(const stream_options& o) {
  return std::make_unique<anthropic_stream_translator>(o);
}

token_usage anthropic_usage_tally::update(const json::object& u) {
  if (u.contains("input_tokens")) input_ = count_of(u, "input_tokens");
  if (u.contains("output_tokens")) output_ = count_of(u, "output_tokens");
  if (u.contains("cache_read_input_tokens")) cache_read_ = count_of(u, "cache_read_input_tokens");
  if (u.contains("cache_creation_input_tokens")) cache_creation_ = count_of(u, "cache_creation_input_tokens");
  return anthropic_usage(input_, output_, cache_read_, cache_creation_);
}

void anthropic_usage_reader::feed(std::string_view bytes) {
  if (reader_.failed()) return;
  reader_.feed(bytes);
  sse_event ev;
  while (reader_.next(ev)) {
    // Only message_start and message_delta carry usage: skip the rest unparsed.
    if (!ev.has_data || ev.data.find("\"usage\"") == std::string_view::npos) continue;
    boost::system::error_code ec;
    const json::value v = json::parse(ev.data, ec);
    if (ec || !v.is_object()) continue;
    const auto& e = v.get_object();
    const json::object* usage = object_in(e, "usage");
    if (const auto* message = object_in(e, "message"); !usage && message) usage = object_in(*message, "usage");
    if (usage) usage_ = tally_.update(*usage);
  }
}

std::optional<token_usage> anthropic_message_usage(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object* usage = object_in(v.get_object(), "usage");
  if (!usage) return std::nullopt;
  return anthropic_usage_tally{}.update(*usage);
}

}  // namespace llmgw::providers
