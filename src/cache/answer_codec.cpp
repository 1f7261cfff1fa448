#include "cache/answer_codec.hpp"

#include <charconv>

#include "providers/openai_chat.hpp"

namespace llmgw::cache {

namespace {

constexpr std::string_view k_magic = "llmgw-answer-1\n";

// Kinds of body: "o" the OpenAI JSON sent, "a" the Anthropic JSON sent,
// "r" an OpenAI rendering of a streamed answer (no bytes to replay as sent).
char kind_of(const cached_answer& a) {
  if (a.json_body.empty()) return 'r';
  return a.json_api == answer_api::anthropic ? 'a' : 'o';
}

}  // namespace

std::string encode_answer(const cached_answer& a, std::chrono::system_clock::time_point stored_at) {
  const char kind = kind_of(a);
  const std::string body = kind == 'r' ? providers::render_chat_completion(a.completion, a.model) : a.json_body;
  std::string out(k_magic);
  out += std::to_string(std::chrono::duration_cast<std::chrono::seconds>(stored_at.time_since_epoch()).count());
  out += '\n';
  out += kind;
  out += '\n';
  out += body;
  return out;
}

std::optional<decoded_answer> decode_answer(std::string_view bytes, std::optional<rendering> as) {
  if (!bytes.starts_with(k_magic)) return std::nullopt;
  bytes.remove_prefix(k_magic.size());
  const auto nl = bytes.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + nl, seconds);
  if (ec != std::errc{} || end != bytes.data() + nl) return std::nullopt;
  bytes.remove_prefix(nl + 1);
  if (bytes.size() < 2 || bytes[1] != '\n') return std::nullopt;
  const char kind = bytes[0];
  const std::string_view body = bytes.substr(2);
  const auto stored_at = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  const bool replay =
      as && !as->stream &&
      ((kind == 'o' && as->api == answer_api::openai) || (kind == 'a' && as->api == answer_api::anthropic));
  // An entry of ours is a JSON object; anything else is not replayed.
  if (replay && body.starts_with('{') && body.ends_with('}')) {
    cached_answer a;
    a.json_body = body;
    a.json_api = as->api;
    return decoded_answer{std::move(a), stored_at};
  }
  std::optional<cached_answer> a;
  if (kind == 'a') {
    a = answer_from_anthropic_json(body);
  } else if (kind == 'o' || kind == 'r') {
    a = answer_from_openai_json(body);
    // A streamed answer had no JSON body: a JSON hit renders a fresh one.
    if (a && kind == 'r') a->json_body.clear();
  }
  if (!a) return std::nullopt;
  return decoded_answer{std::move(*a), stored_at};
}

}  // namespace llmgw::cache
