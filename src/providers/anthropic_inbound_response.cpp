#include "providers/anthropic_inbound.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <string>

#include "core/json_escape.hpp"
#include "core/request_id.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

std::int64_t count(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  const json::value& v = it->value();
  if (v.is_int64()) return std::max<std::int64_t>(0, v.get_int64());
  if (v.is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get_uint64(), INT64_MAX));
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9e18) return static_cast<std::int64_t>(v.get_double());
  return 0;
}

token_usage read_usage(const json::object& root) {
  token_usage u;
  auto it = root.find("usage");
  if (it == root.end() || !it->value().is_object()) return u;
  const auto& usage = it->value().get_object();
  u.prompt_tokens = count(usage, "prompt_tokens");
  u.completion_tokens = count(usage, "completion_tokens");
  u.total_tokens = count(usage, "total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  if (auto details = usage.find("prompt_tokens_details"); details != usage.end() && details->value().is_object()) {
    u.cached_tokens = count(details->value().get_object(), "cached_tokens");
  }
  return u;
}

// The reply text: a string, or (some servers) a list of text parts; a
// refusal stands in for absent text so the client still sees why.
std::string reply_text(const json::object& message) {
  std::string text;
  if (auto it = message.find("content"); it != message.end()) {
    if (it->value().is_string()) {
      text = it->value().get_string();
    } else if (it->value().is_array()) {
      for (const auto& part : it->value().get_array()) {
        if (!part.is_object()) continue;
        auto t = part.get_object().find("text");
        if (t != part.get_object().end() && t->value().is_string()) text.append(t->value().get_string());
      }
    }
  }
  if (auto it = message.find("refusal"); text.empty() && it != message.end() && it->value().is_string()) {
    text = it->value().get_string();
  }
  return text;
}

std::string_view string_or(const json::object& o, std::string_view key, std::string_view fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string_view(it->value().get_string()) : fallback;
}

// Anthropic tool input is always an object; arguments that do not parse to
// one (truncated by max_tokens, or a model's malformed JSON) become {}.
std::string tool_input(std::string_view arguments) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 128;  // as for requests: tool inputs follow the tool's schema, which may nest deeply
  json::value v = json::parse(arguments, ec, {}, options);
  if (ec || !v.is_object()) return "{}";
  return json::serialize(v);
}

void append_tool_use(std::string& out, const json::object& call, std::size_t position) {
  const json::object empty;
  auto fn = call.find("function");
  const json::object& function = fn != call.end() && fn->value().is_object() ? fn->value().get_object() : empty;
  out.append(R"({"type":"tool_use","id":)");
  const std::string fallback_id = "toolu_" + std::to_string(position);
  append_json_string(out, string_or(call, "id", fallback_id));
  out.append(R"(,"name":)");
  append_json_string(out, string_or(function, "name", ""));
  out.append(R"(,"input":)");
  out.append(tool_input(string_or(function, "arguments", "")));
  out.push_back('}');
}

gateway_error not_a_completion() {
  return upstream_unavailable("The upstream provider returned a response that is not a chat completion.");
}

}  // namespace

std::string new_message_id() {
  const request_id id = request_id::generate();
  std::string out = "msg_";
  out.append(id.view().substr(request_id::prefix.size()));
  return out;
}

std::string_view anthropic_stop_reason(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

void append_anthropic_usage(std::string& out, const token_usage& u) {
  const std::int64_t cached = std::min(u.cached_tokens, u.prompt_tokens);
  out.append(R"({"input_tokens":)");
  out.append(std::to_string(u.prompt_tokens - cached));
  out.append(R"(,"cache_creation_input_tokens":)");
  out.append(std::to_string(u.cache_creation_tokens));
  out.append(R"(,"cache_read_input_tokens":)");
  out.append(std::to_string(cached));
  out.append(R"(,"output_tokens":)");
  out.append(std::to_string(u.completion_tokens));
  out.push_back('}');
}

boost::system::result<std::string, gateway_error> openai_to_messages_response(std::string_view openai_body,
                                                                              std::string_view requested_model,
                                                                              token_usage* usage) {
  boost::system::error_code ec;
  json::value v = json::parse(openai_body, ec);
  if (ec || !v.is_object()) return not_a_completion();
  const auto& root = v.get_object();
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->value().is_array()) return not_a_completion();

  const json::object empty;
  const json::object* choice = &empty;
  if (!choices->value().get_array().empty() && choices->value().get_array()[0].is_object()) {
    choice = &choices->value().get_array()[0].get_object();
  }
  auto m = choice->find("message");
  const json::object& message = m != choice->end() && m->value().is_object() ? m->value().get_object() : empty;

  const token_usage u = read_usage(root);
  if (usage != nullptr) *usage = u;

  std::string out;
  out.reserve(256 + openai_body.size());
  out.append(R"({"id":)");
  append_json_string(out, new_message_id());
  out.append(R"(,"type":"message","role":"assistant","model":)");
  append_json_string(out, requested_model);
  out.append(R"(,"content":[)");
  bool first = true;
  bool tool_used = false;
  if (const std::string text = reply_text(message); !text.empty()) {
    out.append(R"({"type":"text","text":)");
    append_json_string(out, text);
    out.push_back('}');
    first = false;
  }
  if (auto calls = message.find("tool_calls"); calls != message.end() && calls->value().is_array()) {
    std::size_t position = 0;
    for (const auto& call : calls->value().get_array()) {
      if (!call.is_object()) continue;
      if (!first) out.push_back(',');
      append_tool_use(out, call.get_object(), position++);
      first = false;
      tool_used = true;
    }
  }
  out.append(R"(],"stop_reason":)");
  std::string_view stop_reason = anthropic_stop_reason(string_or(*choice, "finish_reason", "stop"));
  // Some OpenAI-compatible servers finish tool calls with "stop"; Anthropic
  // clients run their tool loop on stop_reason "tool_use".
  if (stop_reason == "end_turn" && tool_used) stop_reason = "tool_use";
  append_json_string(out, stop_reason);
  out.append(R"(,"stop_sequence":null,"usage":)");
  append_anthropic_usage(out, u);
  out.push_back('}');
  return out;
}

}  // namespace llmgw::providers
