#include "core/path_segment.hpp"

#include <string>

#include "core/hex.hpp"

namespace llmgw {

namespace {

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
  // Nothing to decode (the usual model id): one scan, no copy. The router
  // asks this of every model of every request.
  if (name.find('%') == std::string_view::npos) return !has_dot_segment(name);
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
