// Bedrock Converse responses and errors → OpenAI terms.
#include <boost/json.hpp>

#include <string>
#include <utility>

#include "providers/bedrock.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

gateway_error undecodable(std::string_view what) {
  return upstream_unavailable("The upstream provider bedrock sent " + std::string(what) +
                              " that could not be decoded.");
}

// The status the client sees for the status Bedrock answered with.
int client_status(int bedrock_status) {
  switch (bedrock_status) {
    case 408:
      return 504;  // ModelTimeoutException
    case 424:
      return 502;  // ModelErrorException: the model failed, not the request
    default:
      return bedrock_status;
  }
}

gateway_error make_error(int bedrock_status, std::string message, std::string code) {
  gateway_error e;
  e.status = client_status(bedrock_status);
  e.type = std::string(openai_error_type_for(e.status));
  e.code = std::move(code);
  if (message.empty()) {
    message = "The upstream provider bedrock answered with HTTP status " + std::to_string(bedrock_status) + ".";
  }
  if (bedrock_status == 401 || bedrock_status == 403) {
    // The client's gateway key was fine; AWS refused the gateway's credentials.
    // A signature mismatch goes on, after a blank line, with the canonical
    // request AWS computed (upstream host, signed headers, the session
    // token's place): the signer's diagnosis, not the client's business.
    if (const auto cut = message.find("\n\n"); cut != std::string::npos) message.resize(cut);
    message = "The upstream provider bedrock rejected the gateway's credentials: " + message;
  }
  e.message = std::move(message);
  return e;
}

// {"message":…}, spelled "Message" by some AWS front ends.
std::string message_of(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  for (std::string_view key : {"message", "Message"}) {
    if (const auto* m = v.get_object().if_contains(key); m && m->is_string()) return std::string(m->get_string());
  }
  return {};
}

}  // namespace

std::string_view bedrock_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "guardrail_intervened" || stop_reason == "content_filtered") return "content_filter";
  return "stop";  // end_turn, stop_sequence
}

token_usage bedrock_usage(const json::object& usage) {
  token_usage u;
  const std::int64_t cache_read = count_of(usage, "cacheReadInputTokens");
  const std::int64_t cache_write = count_of(usage, "cacheWriteInputTokens");
  u.prompt_tokens = count_of(usage, "inputTokens") + cache_read + cache_write;
  u.completion_tokens = count_of(usage, "outputTokens");
  u.total_tokens = count_of(usage, "totalTokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  u.cached_tokens = cache_read;
  u.cache_creation_tokens = cache_write;
  return u;
}

boost::system::result<chat_completion, gateway_error> decode_bedrock_converse(std::string_view body) {
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return undecodable("a response");
  const auto& o = root.get_object();
  const json::value* content = nullptr;
  if (const auto* output = o.if_contains("output"); output && output->is_object()) {
    if (const auto* message = output->get_object().if_contains("message"); message && message->is_object())
      content = message->get_object().if_contains("content");
  }
  if (!content || !content->is_array()) return undecodable("a response without output.message.content");

  chat_completion c;
  std::string text;
  for (const auto& block : content->get_array()) {
    if (!block.is_object()) continue;
    const auto& b = block.get_object();
    if (const auto* t = b.if_contains("text"); t && t->is_string()) {
      text.append(t->get_string());
    } else if (const auto* use = b.if_contains("toolUse"); use && use->is_object()) {
      const auto& u = use->get_object();
      tool_call call;
      if (const auto* id = u.if_contains("toolUseId"); id && id->is_string()) call.id = id->get_string();
      if (const auto* name = u.if_contains("name"); name && name->is_string()) call.name = name->get_string();
      const auto* input = u.if_contains("input");
      call.arguments = input ? json::serialize(*input) : "{}";
      c.tool_calls.push_back(std::move(call));
    }
    // reasoningContent, citations and other blocks have no OpenAI field.
  }
  if (!text.empty() || c.tool_calls.empty()) c.content = std::move(text);
  if (const auto* stop = o.if_contains("stopReason"); stop && stop->is_string())
    c.finish_reason = bedrock_finish_reason(stop->get_string());
  if (const auto* usage = o.if_contains("usage"); usage && usage->is_object())
    c.usage = bedrock_usage(usage->get_object());
  return c;
}

gateway_error decode_bedrock_error(int status, std::string_view body) {
  return make_error(status, message_of(body), status == 404 ? "model_not_found" : "");
}

gateway_error bedrock_stream_exception(std::string_view exception_type, std::string_view payload) {
  // The statuses Bedrock gives these exceptions when they end a request.
  static constexpr std::pair<std::string_view, int> statuses[] = {
      {"validationException", 400},         {"accessDeniedException", 403},    {"resourceNotFoundException", 404},
      {"modelTimeoutException", 408},       {"throttlingException", 429},      {"internalServerException", 500},
      {"serviceUnavailableException", 503}, {"modelStreamErrorException", 424}};
  int status = 424;  // anything new: the model failed mid-stream
  for (const auto& [name, s] : statuses) {
    if (name == exception_type) status = s;
  }
  return make_error(status, message_of(payload), std::string(exception_type));
}

}  // namespace llmgw::providers
