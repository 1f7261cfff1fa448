#include "mock/openai_responses.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <ctime>
#include <functional>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::mock {

namespace {

// Ids need to look like OpenAI's and differ per request, not be secret:
// a per-thread splitmix64 is plenty and takes no lock.
std::uint64_t next_random() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ std::hash<std::thread::id>{}(std::this_thread::get_id());
  }();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void append_random_alnum(std::string& out, std::size_t n) {
  static constexpr std::string_view k_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uint64_t bits = next_random();
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 10 == 9) bits = next_random();  // 10 draws of 6 bits each per word
    out.push_back(k_chars[(bits & 63) % k_chars.size()]);
    bits >>= 6;
  }
}

void append_null_or_string(std::string& out, std::string_view s) {
  if (s.empty()) {
    out.append("null");
  } else {
    append_json_string(out, s);
  }
}

void append_completion_head(std::string& out, const completion_meta& m, std::string_view object) {
  out.append("{\"id\":");
  append_json_string(out, m.id);
  out.append(",\"object\":\"");
  out.append(object);
  out.append("\",\"created\":");
  append_number(out, m.created);
  out.append(",\"model\":");
  append_json_string(out, m.model);
}

void append_completion_tail(std::string& out, usage_counts u) {
  out.append("],\"usage\":");
  append_usage(out, u);
  out.append(",\"service_tier\":\"default\",\"system_fingerprint\":\"");
  out.append(k_system_fingerprint);
  out.append("\"}");
}

mock_error make_error(int status, std::string_view message, std::string_view type, std::string_view param,
                      std::string_view code) {
  return mock_error{status, render_error(message, type, param, code)};
}

}  // namespace

completion_meta new_completion_meta(std::string_view model) {
  completion_meta m;
  m.id.reserve(38);
  m.id.append("chatcmpl-");
  append_random_alnum(m.id, 29);
  m.created = static_cast<std::int64_t>(std::time(nullptr));
  m.model.assign(model);
  return m;
}

std::string new_tool_call_id() {
  std::string id = "call_";
  append_random_alnum(id, 24);
  return id;
}

void append_usage(std::string& out, usage_counts u) {
  out.append("{\"prompt_tokens\":");
  append_number(out, u.prompt);
  out.append(",\"completion_tokens\":");
  append_number(out, u.completion);
  out.append(",\"total_tokens\":");
  append_number(out, u.prompt + u.completion);
  out.append(",\"prompt_tokens_details\":{\"cached_tokens\":");
  append_number(out, u.cached);
  out.append(
      ",\"audio_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
      "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
}

void append_chat_completion(std::string& out, const completion_meta& m, std::string_view content,
                            std::string_view finish_reason, usage_counts u) {
  append_completion_head(out, m, "chat.completion");
  out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  append_json_string(out, content);
  out.append(",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"");
  out.append(finish_reason);
  out.append("\"}");
  append_completion_tail(out, u);
}

void append_tool_call_completion(std::string& out, const completion_meta& m, const tool_call& call, usage_counts u) {
  append_completion_head(out, m, "chat.completion");
  out.append(
      ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
      "\"tool_calls\":[{\"id\":");
  append_json_string(out, call.id);
  out.append(",\"type\":\"function\",\"function\":{\"name\":");
  append_json_string(out, call.name);
  out.append(",\"arguments\":");
  append_json_string(out, call.arguments);
  out.append(
      "}}],\"refusal\":null,\"annotations\":[]},\"logprobs\":null,"
      "\"finish_reason\":\"tool_calls\"}");
  append_completion_tail(out, u);
}

// ---------------------------------------------------------------- chunks

chunk_builder::chunk_builder(const completion_meta& m, bool include_usage) : include_usage_(include_usage) {
  prefix_.append("data: ");
  append_completion_head(prefix_, m, "chat.completion.chunk");
  prefix_.append(",\"service_tier\":\"default\",\"system_fingerprint\":\"");
  prefix_.append(k_system_fingerprint);
  prefix_.append("\",\"choices\":[");
}

void chunk_builder::open(std::string& out) const { out.append(prefix_); }

void chunk_builder::close(std::string& out) const { out.append(include_usage_ ? "],\"usage\":null}\n\n" : "]}\n\n"); }

void chunk_builder::role(std::string& out) const {
  open(out);
  out.append(
      "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
      "\"logprobs\":null,\"finish_reason\":null}");
  close(out);
}

void chunk_builder::content(std::string& out, std::string_view text) const {
  open(out);
  out.append("{\"index\":0,\"delta\":{\"content\":");
  append_json_string(out, text);
  out.append("},\"logprobs\":null,\"finish_reason\":null}");
  close(out);
}

void chunk_builder::finish(std::string& out, std::string_view reason) const {
  open(out);
  out.append("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"");
  out.append(reason);
  out.append("\"}");
  close(out);
}

void chunk_builder::usage(std::string& out, usage_counts u) const {
  open(out);
  out.append("],\"usage\":");
  append_usage(out, u);
  out.append("}\n\n");
}

void chunk_builder::tool_call_start(std::string& out, const tool_call& call) const {
  open(out);
  out.append(
      "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
      "\"id\":");
  append_json_string(out, call.id);
  out.append(",\"type\":\"function\",\"function\":{\"name\":");
  append_json_string(out, call.name);
  out.append(",\"arguments\":\"\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}");
  close(out);
}

void chunk_builder::tool_call_arguments(std::string& out, std::string_view fragment) const {
  open(out);
  out.append("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":");
  append_json_string(out, fragment);
  out.append("}}]},\"logprobs\":null,\"finish_reason\":null}");
  close(out);
}

void chunk_builder::done(std::string& out) { out.append("data: [DONE]\n\n"); }

std::size_t next_argument_fragment_end(std::string_view arguments, std::size_t pos) {
  constexpr std::size_t k_fragment_bytes = 6;
  std::size_t end = std::min(arguments.size(), pos + k_fragment_bytes);
  while (end < arguments.size() && (static_cast<unsigned char>(arguments[end]) & 0xC0) == 0x80) ++end;
  return end;
}

// ---------------------------------------------------------------- models

std::span<const model_entry> known_models() {
  static constexpr std::array<model_entry, 8> k_models = {{
      {"gpt-4o-mini", 1721172741, "system"},
      {"gpt-4o", 1715367049, "system"},
      {"gpt-4.1", 1744316542, "system"},
      {"gpt-4.1-mini", 1744318173, "system"},
      {"o3-mini", 1737146383, "system"},
      {"text-embedding-3-small", 1705948997, "system"},
      {"text-embedding-3-large", 1705953180, "system"},
      {"text-embedding-ada-002", 1671217299, "openai-internal"},
  }};
  return k_models;
}

void append_model(std::string& out, std::string_view id, std::int64_t created, std::string_view owned_by) {
  out.append("{\"id\":");
  append_json_string(out, id);
  out.append(",\"object\":\"model\",\"created\":");
  append_number(out, created);
  out.append(",\"owned_by\":");
  append_json_string(out, owned_by);
  out.push_back('}');
}

void append_models_list(std::string& out) {
  out.append("{\"object\":\"list\",\"data\":[");
  bool first = true;
  for (const auto& m : known_models()) {
    if (!first) out.push_back(',');
    first = false;
    append_model(out, m.id, m.created, m.owned_by);
  }
  out.append("]}");
}

// ---------------------------------------------------------------- errors

std::string render_error(std::string_view message, std::string_view type, std::string_view param,
                         std::string_view code) {
  std::string out;
  out.reserve(96 + message.size());
  out.append("{\"error\":{\"message\":");
  append_json_string(out, message);
  out.append(",\"type\":");
  append_json_string(out, type);
  out.append(",\"param\":");
  append_null_or_string(out, param);
  out.append(",\"code\":");
  append_null_or_string(out, code);
  out.append("}}");
  return out;
}

std::string mask_key(std::string_view key) {
  if (key.size() < 12) return std::string(key.size(), '*');
  std::string out(key.substr(0, 4));
  out.append(key.size() - 8, '*');
  out.append(key.substr(key.size() - 4));
  return out;
}

mock_error missing_key_error() {
  return make_error(401,
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
                    "username) if you're accessing the API from your browser and are prompted for a username. You "
                    "can obtain an API key from https://platform.openai.com/account/api-keys.",
                    "invalid_request_error", {}, {});
}

mock_error incorrect_key_error(std::string_view key) {
  std::string message = "Incorrect API key provided: ";
  message.append(mask_key(key));
  message.append(". You can find your API key at https://platform.openai.com/account/api-keys.");
  return make_error(401, message, "invalid_request_error", {}, "invalid_api_key");
}

mock_error invalid_json_error() {
  return make_error(400,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
                    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
                    "help center at help.openai.com.)",
                    "invalid_request_error", {}, {});
}

mock_error invalid_url_error(std::string_view method, std::string_view path) {
  std::string message = "Invalid URL (";
  message.append(method);
  message.push_back(' ');
  message.append(path);
  message.push_back(')');
  return make_error(404, message, "invalid_request_error", {}, {});
}

mock_error model_not_found_error(std::string_view model) {
  std::string message = "The model `";
  message.append(model);
  message.append("` does not exist or you do not have access to it.");
  return make_error(404, message, "invalid_request_error", {}, "model_not_found");
}

mock_error missing_parameter_error(std::string_view param) {
  std::string message = "Missing required parameter: '";
  message.append(param);
  message.append("'.");
  return make_error(400, message, "invalid_request_error", param, "missing_required_parameter");
}

mock_error missing_model_error() {
  return make_error(400, "you must provide a model parameter", "invalid_request_error", {}, {});
}

mock_error invalid_type_error(std::string_view param, std::string_view expected) {
  std::string message = "Invalid type for '";
  message.append(param);
  message.append("': expected ");
  message.append(expected);
  message.push_back('.');
  return make_error(400, message, "invalid_request_error", param, "invalid_type");
}

mock_error scripted_error(int status, std::string_view model) {
  if (model.empty()) model = "gpt-4o-mini";
  switch (status) {
    case 400:
      return make_error(400,
                        "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                        "131072 tokens. Please reduce the length of the messages.",
                        "invalid_request_error", "messages", "context_length_exceeded");
    case 401:
      return incorrect_key_error("sk-mock-scripted-401-key");
    case 403:
      return make_error(403, "Country, region, or territory not supported", "request_forbidden", {},
                        "unsupported_country_region_territory");
    case 404:
      return model_not_found_error(model);
    case 429: {
      std::string message = "Rate limit reached for ";
      message.append(model);
      message.append(
          " in organization org-mock on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try "
          "again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.");
      auto e = make_error(429, message, "requests", {}, "rate_limit_exceeded");
      e.rate_limited = true;
      return e;
    }
    case 500:
      return make_error(500, "The server had an error while processing your request. Sorry about that!", "server_error",
                        {}, {});
    case 502:
      // Served by OpenAI's edge: the code is a number here, unlike everywhere else.
      return mock_error{502, R"({"error":{"code":502,"message":"Bad gateway.","param":null,"type":"cf_bad_gateway"}})"};
    case 503:
      return make_error(503, "The engine is currently overloaded, please try again later.", "server_error", {}, {});
    default: {
      std::string message = "Mock vendor scripted error with status ";
      message.append(std::to_string(status));
      message.push_back('.');
      return make_error(status, message, status >= 500 ? "server_error" : "invalid_request_error", {}, {});
    }
  }
}

namespace {

void leak_into(boost::json::value& v, std::string_view credential) {
  if (v.is_string()) {
    std::string text(v.get_string());
    text.push_back(' ');
    text.append(credential);
    v = text;
  } else if (v.is_null()) {
    v = credential;
  } else if (v.is_object()) {
    for (auto& member : v.get_object()) leak_into(member.value(), credential);
  } else if (v.is_array()) {
    for (auto& item : v.get_array()) leak_into(item, credential);
  }
}

}  // namespace

mock_error with_leaked_credential(mock_error e, std::string_view credential) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(e.body, ec);
  if (!ec) {
    leak_into(body, credential);
    e.body = boost::json::serialize(body);
  }
  // The vendor's own headers go out as they are, with the leaked ones in
  // place of any retry-after (OpenAI's fixed rate-limit set is not sent).
  e.rate_limited = false;
  std::erase_if(e.headers, [](const auto& h) { return h.first == "retry-after"; });
  e.headers.emplace_back("retry-after", std::string(credential));
  e.headers.emplace_back("x-mock-leaked", std::string(credential));
  return e;
}

}  // namespace llmgw::mock
