#include "api/usage_scan.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>

namespace llmgw::api {
namespace {

namespace ondemand = simdjson::ondemand;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct thread_state {
  ondemand::parser parser;
  std::string buffer;  // reused: simdjson needs padding the caller's bytes lack
};

thread_state& thread_scratch() {
  thread_local thread_state s;
  return s;
}

// Parses `json` from a padded copy; the document is valid until the next call on this thread.
simdjson::simdjson_result<ondemand::document> parse_padded(std::string_view json) {
  auto& state = thread_scratch();
  state.buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  state.buffer.assign(json);
  return state.parser.iterate(
      simdjson::padded_string_view(state.buffer.data(), state.buffer.size(), state.buffer.capacity()));
}

// Declared before a parse's document (so it ends after it): a copy of a
// large body, and the parser's buffers sized for it, are given back as soon
// as that parse is done instead of staying with the worker until a small
// body comes (a burst of 40 MB answers left 40 MB per worker behind).
struct release_large_copy {
  static constexpr std::size_t k_keep = 1 << 20;
  release_large_copy() = default;
  release_large_copy(const release_large_copy&) = delete;
  release_large_copy& operator=(const release_large_copy&) = delete;
  ~release_large_copy() {
    auto& s = thread_scratch();
    if (s.buffer.capacity() <= k_keep) return;
    std::string().swap(s.buffer);  // not `= std::string()`: libstdc++ keeps the old buffer for an empty source
    s.parser = ondemand::parser{};
  }
};

// A non-negative integer field; nonsense (negative, not an integer) counts as absent.
std::optional<std::int64_t> read_count(ondemand::value& v) {
  std::int64_t n = 0;
  if (v.get_int64().get(n) || n < 0) return std::nullopt;
  return n;
}

bool read_usage(ondemand::object& usage, token_usage& out) {
  bool has_total = false;
  for (auto field : usage) {
    ondemand::raw_json_string key;
    if (field.key().get(key)) return false;
    ondemand::value v;
    if (field.value().get(v)) return false;
    if (key == "prompt_tokens") {
      out.prompt_tokens = read_count(v).value_or(0);
    } else if (key == "completion_tokens") {
      out.completion_tokens = read_count(v).value_or(0);
    } else if (key == "total_tokens") {
      const auto total = read_count(v);
      out.total_tokens = total.value_or(0);
      has_total = total.has_value();
    } else if (key == "prompt_tokens_details" || key == "completion_tokens_details") {
      // prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens
      const bool prompt = key == "prompt_tokens_details";
      ondemand::object details;
      if (v.get_object().get(details)) continue;  // null or absent details
      for (auto detail : details) {
        ondemand::raw_json_string detail_key;
        if (detail.key().get(detail_key)) return false;
        if (prompt ? detail_key == "cached_tokens" : detail_key == "reasoning_tokens") {
          ondemand::value count;
          if (detail.value().get(count)) return false;
          (prompt ? out.cached_tokens : out.reasoning_tokens) = read_count(count).value_or(0);
        }
      }
    }
  }
  if (!has_total) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  return true;
}

}  // namespace

// memmem, not string_view::find: find looks for the first character and
// JSON is full of quotes, so it stops dozens of times per chunk; memmem
// scans for the whole key at once.
bool mentions_usage_object(std::string_view json) {
  constexpr std::string_view key = "\"usage\"";
  const char* const begin = json.data();
  const char* const end = begin + json.size();
  for (const char* at = begin; at < end;) {
    const void* hit = ::memmem(at, static_cast<std::size_t>(end - at), key.data(), key.size());
    if (hit == nullptr) return false;
    const char* i = static_cast<const char*>(hit) + key.size();
    at = static_cast<const char*>(hit) + 1;
    while (i < end && is_space(*i)) ++i;
    if (i == end || *i != ':') continue;
    ++i;
    while (i < end && is_space(*i)) ++i;
    if (i < end && *i == '{') return true;
  }
  return false;
}

std::optional<token_usage> scan_usage(std::string_view json) {
  if (!mentions_usage_object(json)) return std::nullopt;
  const release_large_copy release;
  ondemand::document doc;
  if (parse_padded(json).get(doc)) return std::nullopt;
  ondemand::object root;
  if (doc.get_object().get(root)) return std::nullopt;
  for (auto field : root) {
    ondemand::raw_json_string key;
    if (field.key().get(key)) return std::nullopt;
    if (key != "usage") continue;
    ondemand::object usage;
    if (field.value().get_object().get(usage)) return std::nullopt;
    token_usage out;
    if (!read_usage(usage, out)) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

bool is_usage_only_chunk(std::string_view data) {
  if (!mentions_usage_object(data) || data.find("\"choices\"") == std::string_view::npos) return false;
  const release_large_copy release;
  ondemand::document doc;
  if (parse_padded(data).get(doc)) return false;
  ondemand::object root;
  if (doc.get_object().get(root)) return false;
  bool empty_choices = false;
  bool usage_object = false;
  for (auto field : root) {
    ondemand::raw_json_string key;
    if (field.key().get(key)) return false;
    ondemand::value v;
    if (field.value().get(v)) return false;
    ondemand::json_type type;
    if (v.type().get(type)) return false;
    if (key == "choices") {
      if (type != ondemand::json_type::array) return false;
      ondemand::array choices;
      bool empty = false;
      if (v.get_array().get(choices) || choices.is_empty().get(empty)) return false;
      empty_choices = empty;
      if (!empty) return false;
    } else if (key == "usage") {
      usage_object = type == ondemand::json_type::object;
      if (!usage_object) return false;
    }
  }
  return empty_choices && usage_object;
}

}  // namespace llmgw::api
