#include "mock/mock_script.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace llmgw::mock {

namespace {

constexpr std::string_view k_marker_open = "[mock:";
constexpr std::string_view k_header_prefix = "x-mock-";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint32_t> parse_uint(std::string_view s) {
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Flags accept a bare key, "1", "true", "yes"; "0"/"false"/"no" switch off.
std::optional<bool> parse_flag(std::string_view s) {
  if (s.empty() || s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  return std::nullopt;
}

}  // namespace

bool apply_setting(std::string_view key, std::string_view value, mock_script& script) {
  key = trim(key);
  value = trim(value);
  if (key == "status") {
    auto v = parse_uint(value);
    if (!v || *v < 100 || *v > 599) return false;
    script.status = static_cast<int>(*v);
    return true;
  }
  if (key == "retry_after") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.retry_after = *v;
    return true;
  }
  if (key == "latency_ms") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.latency_ms = *v;
    return true;
  }
  if (key == "slow_ratio") {
    double v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || ptr != value.data() + value.size() || !(v >= 0 && v <= 1)) return false;
    script.slow_ratio = v;
    return true;
  }
  if (key == "slow_ms") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.slow_ms = *v;
    return true;
  }
  if (key == "tokens") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.tokens = *v;
    return true;
  }
  if (key == "prompt_tokens" || key == "cached_tokens" || key == "cache_write_tokens") {
    auto v = parse_uint(value);
    if (!v) return false;
    if (key == "prompt_tokens") {
      script.prompt_tokens = *v;
    } else {
      (key == "cached_tokens" ? script.cached_tokens : script.cache_write_tokens) = *v;
    }
    return true;
  }
  if (key == "tps") {
    double v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || ptr != value.data() + value.size() || !std::isfinite(v) || v < 0) return false;
    script.tps = v;
    return true;
  }
  if (key == "reset_after") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.reset_after = *v;
    return true;
  }
  if (key == "error_after") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.error_after = *v;
    return true;
  }
  if (key == "hang_after") {
    auto v = parse_uint(value);
    if (!v) return false;
    script.hang_after = *v;
    return true;
  }
  if (key == "hang" || key == "echo" || key == "digest" || key == "leak") {
    auto v = parse_flag(value);
    if (!v) return false;
    (key == "hang" ? script.hang : key == "echo" ? script.echo : key == "digest" ? script.digest : script.leak) = *v;
    return true;
  }
  if (key == "tool") {
    // [mock:tool] or [mock:tool=get_weather]; "0"/"false" switch it off.
    auto flag = parse_flag(value);
    if (flag) {
      script.tool = *flag;
      if (!*flag) script.tool_name.clear();
    } else {
      script.tool = true;
      script.tool_name.assign(value);
    }
    return true;
  }
  return false;
}

int apply_markers(std::string_view text, mock_script& script) {
  int applied = 0;
  for (auto pos = text.find(k_marker_open); pos != std::string_view::npos; pos = text.find(k_marker_open, pos)) {
    pos += k_marker_open.size();
    auto close = text.find(']', pos);
    if (close == std::string_view::npos) break;
    std::string_view body = text.substr(pos, close - pos);
    pos = close + 1;
    while (!body.empty()) {
      auto comma = body.find(',');
      std::string_view item = body.substr(0, comma);
      body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
      auto eq = item.find('=');
      std::string_view key = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      if (apply_setting(key, value, script)) ++applied;
    }
  }
  return applied;
}

bool is_mock_header(std::string_view name) {
  if (name.size() <= k_header_prefix.size()) return false;
  for (std::size_t i = 0; i < k_header_prefix.size(); ++i) {
    if (lower(name[i]) != k_header_prefix[i]) return false;
  }
  return true;
}

bool apply_header(std::string_view name, std::string_view value, mock_script& script) {
  if (!is_mock_header(name)) return false;
  name.remove_prefix(k_header_prefix.size());
  char key[32];
  if (name.size() >= sizeof key) return false;
  for (std::size_t i = 0; i < name.size(); ++i) key[i] = name[i] == '-' ? '_' : lower(name[i]);
  return apply_setting(std::string_view(key, name.size()), value, script);
}

bool is_slow_turn(std::uint64_t n, double ratio) {
  constexpr std::uint64_t k_parts = 1'000'000;
  if (!(ratio > 0)) return false;
  const auto parts = static_cast<std::uint64_t>(std::llround(std::min(ratio, 1.0) * k_parts));
  // The (n+1)-th request is slow when it brings the count of slow ones due
  // so far, floor((n+1) * ratio), one past the count due before it.
  n %= k_parts;  // the pattern repeats every million requests; no overflow
  return (n + 1) * parts / k_parts > n * parts / k_parts;
}

}  // namespace llmgw::mock
