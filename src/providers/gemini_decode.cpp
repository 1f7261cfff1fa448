// Gemini responses → OpenAI: generateContent replies, batchEmbedContents
// replies and Google's error bodies.
#include <boost/json.hpp>

#include <cmath>
#include <cstdint>

#include "core/json_escape.hpp"
#include "core/request_id.hpp"
#include "providers/gemini.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::providers::gemini {

namespace json = boost::json;

namespace {

std::string string_of(const json::object& o, std::string_view key) { return std::string(string_in(o, key)); }

token_usage read_usage(const json::object& u) {
  token_usage t;
  // Thinking is output the client pays for; tool-use prompt tokens (search
  // grounding) are input. So prompt + completion adds up to Gemini's total.
  t.prompt_tokens = count_of(u, "promptTokenCount") + count_of(u, "toolUsePromptTokenCount");
  t.completion_tokens = count_of(u, "candidatesTokenCount") + count_of(u, "thoughtsTokenCount");
  t.reasoning_tokens = count_of(u, "thoughtsTokenCount");
  t.total_tokens = count_of(u, "totalTokenCount");
  if (t.total_tokens == 0) t.total_tokens = t.prompt_tokens + t.completion_tokens;
  t.cached_tokens = count_of(u, "cachedContentTokenCount");
  return t;
}

// Google API keys ("AIza" + 35 characters) and key= query values are cut
// out of anything passed on; Google does not echo keys today, but an error
// body ends up in the client's hands and in logs.
void scrub_keys(std::string& text) {
  auto is_key_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  };
  for (std::string_view marker : {"AIza", "key="}) {
    for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + 1)) {
      auto end = pos + marker.size();
      while (end < text.size() && is_key_char(text[end])) ++end;
      if (end - pos > marker.size()) text.replace(pos, end - pos, "[redacted]");
    }
  }
}

// "26s", "1.5s" → whole seconds, rounded up, for retry-after.
std::string retry_after_of(const json::object& error) {
  const auto* details = error.if_contains("details");
  if (!details || !details->is_array()) return {};
  for (const auto& d : details->get_array()) {
    if (!d.is_object()) continue;
    const auto& o = d.get_object();
    if (string_of(o, "@type") != "type.googleapis.com/google.rpc.RetryInfo") continue;
    std::string delay = string_of(o, "retryDelay");
    if (delay.empty() || delay.back() != 's') return {};
    delay.pop_back();
    char* end = nullptr;
    const double seconds = std::strtod(delay.c_str(), &end);
    if (end != delay.c_str() + delay.size() || !(seconds >= 0) || seconds > 86400) return {};
    return std::to_string(static_cast<std::int64_t>(std::ceil(seconds)));
  }
  return {};
}

bool says_key_invalid(const json::object& error) {
  if (const auto* details = error.if_contains("details"); details && details->is_array()) {
    for (const auto& d : details->get_array()) {
      if (d.is_object() && string_of(d.get_object(), "reason") == "API_KEY_INVALID") return true;
    }
  }
  return string_of(error, "message").find("API key not valid") != std::string::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

gateway_error error_from(int status, const json::object* error) {
  gateway_error e;
  e.status = status;
  std::string google_status;
  if (error) {
    e.message = string_of(*error, "message");
    google_status = string_of(*error, "status");
    if (status == 0) status = e.status = static_cast<int>(count_of(*error, "code"));
  }
  if (status < 400 || status > 599) status = e.status = 502;  // an error without a usable status
  // Google answers a wrong key with 400 INVALID_ARGUMENT; to the client it is
  // the gateway's credential that failed, which OpenAI spells 401.
  const bool key_invalid = error && says_key_invalid(*error);
  if (key_invalid || status == 401) {
    e.status = 401;
    e.code = "invalid_api_key";
  } else if (status == 404) {
    e.code = "model_not_found";
  } else if (status == 429) {
    e.code = "rate_limit_exceeded";
    if (error) e.retry_after = retry_after_of(*error);
  } else if (!google_status.empty()) {
    e.code = lower(google_status);  // invalid_argument, permission_denied, unavailable, …
  }
  e.type = std::string(openai_error_type_for(e.status));
  if (e.message.empty()) e.message = "Gemini answered with HTTP status " + std::to_string(status) + ".";
  if (e.status == 401 || e.status == 403)
    e.message = "The upstream provider gemini rejected the gateway's credentials: " + e.message;
  scrub_keys(e.message);
  return e;
}

}  // namespace

gateway_error decode_error(int status, std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  // Some Google front ends wrap the error in a one-element array.
  if (!ec && v.is_array() && v.get_array().size() == 1) v = v.get_array().front();
  const json::object* error = nullptr;
  if (!ec && v.is_object()) {
    if (const auto* e = v.get_object().if_contains("error"); e && e->is_object()) error = &e->get_object();
  }
  return error_from(status, error);
}

std::string_view openai_finish_reason(std::string_view reason, bool has_calls) {
  if (reason == "STOP") return has_calls ? "tool_calls" : "stop";
  if (reason == "MAX_TOKENS") return "length";
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" ||
      reason == "SPII" || reason == "IMAGE_SAFETY")
    return "content_filter";
  return has_calls ? "tool_calls" : "stop";
}

std::string call_id(std::string_view seed, std::size_t n) {
  std::string id = "call_";
  if (seed.empty()) {
    const auto rid = request_id::generate();
    id.append(rid.view().substr(request_id::prefix.size()));
    return id;
  }
  // FNV-1a over seed and index: stable for one reply, distinct across replies.
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ULL; };
  for (char c : seed) mix(static_cast<unsigned char>(c));
  mix('#');
  for (char c : std::to_string(n)) mix(static_cast<unsigned char>(c));
  // splitmix64's finaliser, so ids of neighbouring calls do not look alike.
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  h ^= h >> 31;
  static constexpr char k_hex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(k_hex[(h >> shift) & 15]);
  return id;
}

boost::system::result<response_view, gateway_error> read_response(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return upstream_unavailable("Gemini sent a response that is not a JSON object.");
  const auto& root = v.get_object();
  if (const auto* e = root.if_contains("error"); e && e->is_object()) return error_from(0, &e->get_object());

  response_view r;
  r.response_id = string_of(root, "responseId");
  if (const auto* u = root.if_contains("usageMetadata"); u && u->is_object()) r.usage = read_usage(u->get_object());
  if (const auto* pf = root.if_contains("promptFeedback"); pf && pf->is_object())
    r.block_reason = string_of(pf->get_object(), "blockReason");

  const auto* candidates = root.if_contains("candidates");
  if (!candidates || !candidates->is_array() || candidates->get_array().empty()) return r;
  const auto& first = candidates->get_array().front();
  if (!first.is_object()) return r;
  r.has_candidate = true;
  const auto& candidate = first.get_object();
  r.finish_reason = string_of(candidate, "finishReason");
  const auto* content = candidate.if_contains("content");
  const auto* parts = content && content->is_object() ? content->get_object().if_contains("parts") : nullptr;
  if (!parts || !parts->is_array()) return r;
  for (const auto& p : parts->get_array()) {
    if (!p.is_object()) continue;
    const auto& part = p.get_object();
    // Thought summaries have no place in an OpenAI message.
    if (const auto* thought = part.if_contains("thought"); thought && thought->is_bool() && thought->get_bool())
      continue;
    if (const auto* t = part.if_contains("text"); t && t->is_string()) r.text.append(t->get_string());
    if (const auto* fc = part.if_contains("functionCall"); fc && fc->is_object()) {
      const auto& call = fc->get_object();
      tool_call c;
      c.id = string_of(call, "id");  // set by some Gemini models; used as is when present
      c.name = string_of(call, "name");
      const auto* args = call.if_contains("args");
      c.arguments = args && args->is_object() ? json::serialize(*args) : "{}";
      r.calls.push_back(std::move(c));
    }
  }
  return r;
}

boost::system::result<std::string, gateway_error> decode_chat(std::string_view body, std::string_view requested_model,
                                                              token_usage* usage) {
  auto read = read_response(body);
  if (read.has_error()) return read.error();
  response_view& r = *read;

  chat_completion c;
  for (std::size_t i = 0; i < r.calls.size(); ++i) {
    if (r.calls[i].id.empty()) r.calls[i].id = call_id(r.response_id, i);
  }
  if (!r.has_candidate && !r.block_reason.empty()) {
    c.finish_reason = "content_filter";  // the prompt itself was blocked
  } else {
    c.finish_reason = openai_finish_reason(r.finish_reason, !r.calls.empty());
  }
  if (!r.text.empty() || r.calls.empty()) c.content = std::move(r.text);
  c.tool_calls = std::move(r.calls);
  if (r.usage) c.usage = *r.usage;
  if (usage) *usage = c.usage;
  return render_chat_completion(c, requested_model);
}

boost::system::result<std::string, gateway_error> decode_embeddings(std::string_view body,
                                                                    std::string_view requested_model,
                                                                    token_usage* usage) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::value* embeddings = nullptr;
  if (!ec && v.is_object()) embeddings = v.get_object().if_contains("embeddings");
  if (!embeddings || !embeddings->is_array())
    return upstream_unavailable("Gemini sent an embeddings response without an 'embeddings' array.");

  std::string out = R"({"object":"list","data":[)";
  std::size_t index = 0;
  for (const auto& e : embeddings->get_array()) {
    const json::value* values = e.is_object() ? e.get_object().if_contains("values") : nullptr;
    if (!values || !values->is_array())
      return upstream_unavailable("Gemini sent an embedding without a 'values' array.");
    if (index) out.push_back(',');
    out.append(R"({"object":"embedding","index":)");
    out.append(std::to_string(index++));
    out.append(R"(,"embedding":)");
    out.append(json::serialize(*values));
    out.push_back('}');
  }
  out.append(R"(],"model":)");
  append_json_string(out, requested_model);
  // batchEmbedContents reports no token counts, and the reply no longer
  // holds the input to estimate them from: usage says 0.
  out.append(R"(,"usage":{"prompt_tokens":0,"total_tokens":0}})");
  if (usage) *usage = token_usage{};
  return out;
}

}  // namespace llmgw::providers::gemini
