#include "api/stream_content.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "providers/anthropic.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::api {

namespace json = boost::json;

namespace {

bool non_empty_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() && !v->get_string().empty();
}

bool non_empty_array(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() && !v->get_array().empty();
}

std::optional<json::object> parse_object(std::string_view data) {
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::string_view string_in(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

// What an OpenAI-format error event stands for, as the HTTP status the
// vendor would have answered with before the stream began.
int openai_stream_error_status(const json::object& error) {
  const std::string_view type = string_in(error, "type");
  const std::string_view code = string_in(error, "code");
  for (std::string_view s : {type, code}) {
    if (s.find("rate_limit") != std::string_view::npos) return 429;
    if (s.find("overloaded") != std::string_view::npos) return 503;
    if (s == "invalid_request_error" || s == "context_length_exceeded") return 400;
  }
  return 500;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether some `"key":` in `data` has a value that may be content: not "",
// null or []. False negatives cannot happen (a key's quotes inside a string
// are escaped); false positives are settled by a parse.
bool may_carry(std::string_view data, std::string_view quoted_key) {
  for (std::size_t at = data.find(quoted_key); at != std::string_view::npos; at = data.find(quoted_key, at + 1)) {
    std::size_t i = at + quoted_key.size();
    while (i < data.size() && is_space(data[i])) ++i;
    if (i == data.size() || data[i] != ':') continue;
    ++i;
    while (i < data.size() && is_space(data[i])) ++i;
    if (i == data.size()) continue;
    const char c = data[i];
    if (c == 'n') continue;  // null
    const std::string_view rest = data.substr(i + 1);
    if (c == '"' && rest.starts_with('"')) continue;
    if (c == '[') {
      std::size_t j = 0;
      while (j < rest.size() && is_space(rest[j])) ++j;
      if (j < rest.size() && rest[j] == ']') continue;
    }
    return true;
  }
  return false;
}

}  // namespace

bool openai_chunk_has_content(std::string_view data) {
  // Cheap refusals first, so a role chunk ({"role":"assistant","content":"",
  // "refusal":null}) costs no parse: no key that could carry content has a
  // value that could be some.
  bool maybe = false;
  for (std::string_view key :
       {"\"content\"", "\"tool_calls\"", "\"reasoning_content\"", "\"reasoning\"", "\"refusal\""}) {
    if (may_carry(data, key)) {
      maybe = true;
      break;
    }
  }
  if (!maybe) return false;
  const auto chunk = parse_object(data);
  if (!chunk) return false;
  const auto* choices = chunk->if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return false;
  for (const auto& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const auto* delta = c.get_object().if_contains("delta");
    if (delta == nullptr || !delta->is_object()) continue;
    const auto& d = delta->get_object();
    if (non_empty_string(d, "content") || non_empty_string(d, "refusal") || non_empty_string(d, "reasoning_content") ||
        non_empty_string(d, "reasoning") || non_empty_array(d, "tool_calls"))
      return true;
  }
  return false;
}

bool anthropic_event_has_content(std::string_view event, std::string_view data) {
  if (event != "content_block_delta" && event != "content_block_start") return false;
  const auto e = parse_object(data);
  if (!e) return false;
  if (event == "content_block_start") {
    const auto* block = e->if_contains("content_block");
    return block != nullptr && block->is_object() && string_in(block->get_object(), "type") == "tool_use";
  }
  const auto* delta = e->if_contains("delta");
  if (delta == nullptr || !delta->is_object()) return false;
  const auto& d = delta->get_object();
  return non_empty_string(d, "text") || non_empty_string(d, "thinking") || non_empty_string(d, "partial_json");
}

bool content_probe::feed(std::string_view bytes) {
  if (seen_ || error_) return seen_;
  reader_.feed(bytes);
  while (!seen_ && !error_ && reader_.next(event_)) {
    if (!event_.has_data) continue;
    if (api_ == client_api::anthropic) {
      if (event_.event == "error") {
        on_error(event_.event, event_.data);
      } else {
        seen_ = anthropic_event_has_content(event_.event, event_.data);
      }
    } else if (event_.data.starts_with("{\"error\"")) {
      on_error(event_.event, event_.data);
    } else {
      seen_ = openai_chunk_has_content(event_.data);
    }
  }
  return seen_;
}

void content_probe::on_error(std::string_view event, std::string_view data) {
  if (api_ == client_api::anthropic || event == "error") {
    std::string_view type;
    const auto doc = parse_object(data);
    if (doc) {
      if (const auto* err = doc->if_contains("error"); err != nullptr && err->is_object())
        type = string_in(err->get_object(), "type");
    }
    error_status_ = providers::anthropic_status_for_error_type(type);
    error_ = providers::decode_anthropic_error(error_status_, data);
    return;
  }
  const auto doc = parse_object(data);
  const json::object* err = nullptr;
  if (doc) {
    if (const auto* e = doc->if_contains("error"); e != nullptr && e->is_object()) err = &e->get_object();
  }
  error_status_ = err != nullptr ? openai_stream_error_status(*err) : 500;
  error_ = providers::decode_openai_error(error_status_, data, provider_, {});
}

}  // namespace llmgw::api
