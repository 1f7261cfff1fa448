// Anthropic message → OpenAI chat.completion choice; Anthropic errors →
// gateway errors.
#include <boost/json.hpp>

#include "providers/anthropic.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

gateway_error undecodable(std::string_view what) {
  return upstream_unavailable("The upstream provider anthropic sent " + std::string(what) +
                              " that could not be decoded.");
}

// Anthropic does not echo keys in its errors, but a proxy in between might:
// anything shaped like an Anthropic key is cut out.
void scrub_keys(std::string& text) {
  constexpr std::string_view marker = "sk-ant-";
  for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos)) {
    auto end = text.find_first_of(" \t\n\"',;", pos);
    if (end == std::string::npos) end = text.size();
    text.replace(pos, end - pos, "[redacted]");
  }
}

}  // namespace

token_usage anthropic_usage(std::int64_t input, std::int64_t output, std::int64_t cache_read,
                            std::int64_t cache_creation) {
  token_usage u;
  u.prompt_tokens = input + cache_read + cache_creation;
  u.completion_tokens = output;
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  u.cached_tokens = cache_read;
  u.cache_creation_tokens = cache_creation;
  return u;
}

std::string_view openai_finish_reason_for(std::string_view stop_reason, bool only_answer_tool) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return only_answer_tool ? "stop" : "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

boost::system::result<chat_completion, gateway_error> decode_anthropic_message(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return undecodable("a response");
  const auto& msg = doc.get_object();
  const auto* content = msg.if_contains("content");
  if (!content || !content->is_array()) return undecodable("a response without content");

  chat_completion c;
  std::string text;
  std::optional<std::string> answer;
  bool has_text = false;
  for (const auto& v : content->get_array()) {
    if (!v.is_object()) continue;
    const auto& block = v.get_object();
    const auto type = string_in(block, "type");
    if (type == "text") {
      text.append(string_in(block, "text"));
      has_text = true;
    } else if (type == "tool_use") {
      const auto name = string_in(block, "name");
      const auto* input = block.if_contains("input");
      std::string arguments = input ? json::serialize(*input) : std::string("{}");
      if (is_answer_tool(name)) {
        answer = std::move(arguments);
      } else {
        c.tool_calls.push_back(tool_call{std::string(string_in(block, "id")), std::string(name), std::move(arguments)});
      }
    }
    // thinking, redacted_thinking and server tool blocks have no OpenAI place.
  }
  // A structured answer is the content by itself: text around it would make
  // it unparseable for the client.
  if (answer) {
    c.content = std::move(*answer);
  } else if (has_text || c.tool_calls.empty()) {
    c.content = std::move(text);
  }
  c.finish_reason = openai_finish_reason_for(string_in(msg, "stop_reason"), c.tool_calls.empty());
  if (const auto* u = msg.if_contains("usage"); u && u->is_object()) {
    c.usage = anthropic_usage_tally{}.update(u->get_object());
  }
  return c;
}

int anthropic_status_for_error_type(std::string_view type) {
  if (type == "invalid_request_error") return 400;
  if (type == "authentication_error") return 401;
  if (type == "billing_error") return 402;
  if (type == "permission_error") return 403;
  if (type == "not_found_error") return 404;
  if (type == "request_too_large") return 413;
  if (type == "rate_limit_error") return 429;
  if (type == "timeout_error") return 504;
  if (type == "overloaded_error") return 529;
  return 500;  // api_error and anything new
}

gateway_error decode_anthropic_error(int status, std::string_view body) {
  gateway_error e;
  // 529 is Anthropic's own; OpenAI clients and their retry logic know 503.
  e.status = status == 529 ? 503 : status;
  e.type = std::string(openai_error_type_for(e.status));
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (!ec && doc.is_object()) {
    if (const auto* err = doc.get_object().if_contains("error"); err && err->is_object()) {
      e.code = std::string(string_in(err->get_object(), "type"));
      e.message = std::string(string_in(err->get_object(), "message"));
    }
  }
  if (e.message.empty()) {
    e.message = "The upstream provider anthropic answered with HTTP status " + std::to_string(status) + ".";
  }
  if (status == 401 || status == 403) {
    // The client's gateway key was fine; Anthropic refused the gateway's.
    e.message = "The upstream provider anthropic rejected the gateway's credentials: " + e.message;
  }
  scrub_keys(e.message);
  return e;
}

}  // namespace llmgw::providers
