#include "core/path_segment.hpp"

#include <string>

namespace llmgw {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One round of percent-decoding; malformed escapes stay as they are.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool has_dot_segment(std::string_view s) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/' || s[i] == '\\') {
      const std::string_view piece = s.substr(start, i - start);
      if (piece == "." || piece == "..") return true;
      start = i + 1;
    }
  }
  return false;
}

}  // namespace

bool usable_in_path(std::string_view name) {
  if (name.empty()) return false;
  std::string current(name);
  for (;;) {
    if (has_dot_segment(current)) return false;
    std::string decoded = percent_decode(current);
    // Each round that changes anything makes the name shorter, so this ends.
    if (decoded == current) return true;
    current = std::move(decoded);
  }
}

}  // namespace llmgw
