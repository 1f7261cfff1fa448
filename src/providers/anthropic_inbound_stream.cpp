#include "providers/anthropic_inbound.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "core/json_escape.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

// "event: <type>\ndata: " … "\n\n": Anthropic names every event and repeats
// the name as "type" inside the data.
void begin_event(std::string& out, std::string_view type) {
  out.append("event: ").append(type).append("\ndata: {\"type\":\"").append(type).push_back('"');
}
void end_event(std::string& out) { out.append("}\n\n"); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string_view(it->value().get_string()) : std::string_view();
}

const json::object* object_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

std::int64_t count(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return std::max<std::int64_t>(0, it->value().get_int64());
  if (it->value().is_uint64())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(it->value().get_uint64(), INT64_MAX));
  return 0;
}

token_usage read_usage(const json::object& usage) {
  token_usage u;
  u.prompt_tokens = count(usage, "prompt_tokens");
  u.completion_tokens = count(usage, "completion_tokens");
  u.total_tokens = count(usage, "total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  if (const json::object* details = object_field(usage, "prompt_tokens_details")) {
    u.cached_tokens = count(*details, "cached_tokens");
  }
  return u;
}

// An OpenAI-shaped error event → the Anthropic error type closest to it.
std::string_view stream_error_type(std::string_view type, std::string_view code) {
  constexpr std::array<std::string_view, 8> anthropic_types = {
      "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
      "request_too_large",     "rate_limit_error",     "api_error",        "overloaded_error"};
  if (std::find(anthropic_types.begin(), anthropic_types.end(), type) != anthropic_types.end()) return type;
  for (std::string_view word : {type, code}) {
    if (word.find("rate_limit") != std::string_view::npos) return "rate_limit_error";
    if (word.find("overloaded") != std::string_view::npos) return "overloaded_error";
  }
  return "api_error";
}

}  // namespace

messages_stream_writer::messages_stream_writer(std::string message_id, std::string model)
    : id_(std::move(message_id)), model_(std::move(model)) {}

void messages_stream_writer::feed(std::string_view bytes, std::string& out) {
  if (ended()) return;
  reader_.feed(bytes);
  drain(out);
}

void messages_stream_writer::finish(std::string& out) {
  if (ended()) return;
  reader_.finish();  // completes a last event whose blank line ended in '\r'
  drain(out);
  if (!ended()) error("api_error", "upstream stream ended early", out);
}

void messages_stream_writer::drain(std::string& out) {
  sse_event event;
  while (!ended() && reader_.next(event)) {
    if (event.has_data) on_data(event.data, out);
  }
  if (!ended() && reader_.failed()) error("api_error", "upstream stream event too large", out);
}

void messages_stream_writer::on_data(std::string_view data, std::string& out) {
  data = trim(data);
  if (data == "[DONE]") {
    end_message(out);
    return;
  }
  boost::system::error_code ec;
  const json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) {
    error("api_error", "upstream sent an invalid stream event", out);
    return;
  }
  const auto& chunk = v.get_object();
  if (auto it = chunk.find("error"); it != chunk.end() && !it->value().is_null()) {
    if (it->value().is_object()) {
      const auto& e = it->value().get_object();
      const std::string_view message = string_field(e, "message");
      error(stream_error_type(string_field(e, "type"), string_field(e, "code")),
            message.empty() ? "upstream stream error" : message, out);
    } else {
      error("api_error", it->value().is_string() ? std::string_view(it->value().get_string()) : "upstream stream error",
            out);
    }
    return;
  }
  on_chunk(chunk, out);
}

void messages_stream_writer::on_chunk(const json::object& chunk, std::string& out) {
  start_message(out);
  if (auto it = chunk.find("choices"); it != chunk.end() && it->value().is_array()) {
    for (const auto& c : it->value().get_array()) {
      if (!c.is_object()) continue;
      const auto& choice = c.get_object();
      // One Anthropic message per stream: only the first choice (n > 1 has no counterpart).
      if (count(choice, "index") != 0) continue;
      if (const json::object* delta = object_field(choice, "delta")) {
        text(string_field(*delta, "content"), out);
        text(string_field(*delta, "refusal"), out);
        if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->value().is_array()) {
          std::size_t position = 0;
          for (const auto& call : calls->value().get_array()) {
            if (call.is_object()) on_tool_call(call.get_object(), position, out);
            ++position;
          }
        }
      }
      if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->value().is_string()) {
        finish_reason_ = std::string(reason->value().get_string());
        close_block(out);  // Anthropic closes the last block before message_delta
      }
    }
  }
  if (const json::object* usage = object_field(chunk, "usage")) usage_ = read_usage(*usage);
  // OpenAI sends usage in a chunk of its own after the finish chunk: the
  // message ends once both are known, or at [DONE].
  if (finish_reason_ && usage_) end_message(out);
}

void messages_stream_writer::on_tool_call(const json::object& call, std::size_t position, std::string& out) {
  const auto index_it = call.find("index");
  const std::int64_t index = index_it != call.end() && index_it->value().is_int64()
                                 ? index_it->value().get_int64()
                                 : static_cast<std::int64_t>(position);
  const json::object* function = object_field(call, "function");
  auto known = std::find_if(tool_blocks_.begin(), tool_blocks_.end(), [&](const auto& p) { return p.first == index; });
  int block = 0;
  if (known == tool_blocks_.end()) {
    std::string tool_id(string_field(call, "id"));
    if (tool_id.empty()) tool_id = "toolu_" + id_ + "_" + std::to_string(next_block_);
    open_tool_block(tool_id, function != nullptr ? string_field(*function, "name") : std::string_view(), out);
    block = open_block_;
    tool_blocks_.emplace_back(index, block);
  } else {
    block = known->second;
  }
  const std::string_view arguments = function != nullptr ? string_field(*function, "arguments") : std::string_view();
  if (arguments.empty()) return;
  begin_event(out, "content_block_delta");
  out.append(",\"index\":").append(std::to_string(block));
  out.append(R"(,"delta":{"type":"input_json_delta","partial_json":)");
  append_json_string(out, arguments);
  out.push_back('}');
  end_event(out);
}

void messages_stream_writer::text(std::string_view fragment, std::string& out) {
  if (fragment.empty()) return;  // OpenAI's role chunk carries "content":""
  if (open_kind_ != block_kind::text) open_text_block(out);
  begin_event(out, "content_block_delta");
  out.append(",\"index\":").append(std::to_string(open_block_));
  out.append(R"(,"delta":{"type":"text_delta","text":)");
  append_json_string(out, fragment);
  out.push_back('}');
  end_event(out);
}

void messages_stream_writer::start_message(std::string& out) {
  if (started_) return;
  started_ = true;
  // Input tokens are not known before OpenAI's usage chunk: message_delta
  // carries them, and the SDKs take the counts from there.
  begin_event(out, "message_start");
  out.append(R"(,"message":{"id":)");
  append_json_string(out, id_);
  out.append(R"(,"type":"message","role":"assistant","model":)");
  append_json_string(out, model_);
  out.append(R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":)");
  append_anthropic_usage(out, token_usage{});
  out.push_back('}');
  end_event(out);
}

void messages_stream_writer::open_text_block(std::string& out) {
  close_block(out);
  open_block_ = next_block_++;
  open_kind_ = block_kind::text;
  begin_event(out, "content_block_start");
  out.append(",\"index\":").append(std::to_string(open_block_));
  out.append(R"(,"content_block":{"type":"text","text":""})");
  end_event(out);
}

void messages_stream_writer::open_tool_block(std::string_view tool_id, std::string_view name, std::string& out) {
  close_block(out);
  open_block_ = next_block_++;
  open_kind_ = block_kind::tool_use;
  begin_event(out, "content_block_start");
  out.append(",\"index\":").append(std::to_string(open_block_));
  out.append(R"(,"content_block":{"type":"tool_use","id":)");
  append_json_string(out, tool_id);
  out.append(R"(,"name":)");
  append_json_string(out, name);
  out.append(R"(,"input":{}})");
  end_event(out);
}

void messages_stream_writer::close_block(std::string& out) {
  if (open_block_ < 0) return;
  begin_event(out, "content_block_stop");
  out.append(",\"index\":").append(std::to_string(open_block_));
  end_event(out);
  open_block_ = -1;
  open_kind_ = block_kind::none;
}

void messages_stream_writer::end_message(std::string& out) {
  start_message(out);
  close_block(out);
  std::string_view stop_reason = anthropic_stop_reason(finish_reason_.value_or("stop"));
  // Some OpenAI-compatible servers finish tool calls with "stop"; Anthropic
  // clients run their tool loop on stop_reason "tool_use".
  if (stop_reason == "end_turn" && !tool_blocks_.empty()) stop_reason = "tool_use";
  begin_event(out, "message_delta");
  out.append(R"(,"delta":{"stop_reason":)");
  append_json_string(out, stop_reason);
  out.append(R"(,"stop_sequence":null},"usage":)");
  if (usage_) {
    append_anthropic_usage(out, *usage_);
  } else {
    out.append(R"({"output_tokens":0})");
  }
  end_event(out);
  begin_event(out, "message_stop");
  end_event(out);
  stopped_ = true;
}

void messages_stream_writer::error(std::string_view type, std::string_view message, std::string& out) {
  begin_event(out, "error");
  out.append(R"(,"error":{"type":)");
  append_json_string(out, type);
  out.append(R"(,"message":)");
  append_json_string(out, message);
  out.push_back('}');
  end_event(out);
  failed_ = true;
}

}  // namespace llmgw::providers
