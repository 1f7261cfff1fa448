#include "core/header_value.hpp"

#include <array>
#include <cstddef>

namespace llmgw {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// tchar of RFC 9110 §5.6.2.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == t) return true;
  }
  return false;
}

// Length of the token at the start of `s`.
std::size_t token_length(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && is_tchar(s[n])) ++n;
  return n;
}

// Two digits at s[at] as a number in [lo, hi].
bool two_digits(std::string_view s, std::size_t at, int lo, int hi) {
  if (!is_digit(s[at]) || !is_digit(s[at + 1])) return false;
  const int v = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return v >= lo && v <= hi;
}

bool one_of(std::string_view s, const std::array<std::string_view, 7>& names) {
  for (auto n : names) {
    if (s == n) return true;
  }
  return false;
}

bool is_month(std::string_view s) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (auto m : months) {
    if (s == m) return true;
  }
  return false;
}

// "Sun, 06 Nov 1994 08:49:37 GMT": fixed length, fixed positions.
bool is_imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> days{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  if (s.size() != 29) return false;
  if (!one_of(s.substr(0, 3), days) || s.substr(3, 2) != ", ") return false;
  if (!two_digits(s, 5, 1, 31) || s[7] != ' ' || !is_month(s.substr(8, 3)) || s[11] != ' ') return false;
  for (std::size_t i = 12; i < 16; ++i) {
    if (!is_digit(s[i])) return false;
  }
  if (s[16] != ' ' || !two_digits(s, 17, 0, 23) || s[19] != ':' || !two_digits(s, 20, 0, 59) || s[22] != ':' ||
      !two_digits(s, 23, 0, 60)) {
    return false;
  }
  return s.substr(25) == " GMT";
}

}  // namespace

bool has_control_char(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool is_retry_after(std::string_view s) {
  if (!s.empty() && s.size() <= 10) {
    bool digits = true;
    for (char c : s) digits = digits && is_digit(c);
    if (digits) return true;
  }
  return is_imf_fixdate(s);
}

bool is_media_type(std::string_view s) {
  if (s.size() > 256) return false;
  const std::size_t type = token_length(s);
  if (type == 0 || type >= s.size() || s[type] != '/') return false;
  const std::size_t subtype = token_length(s.substr(type + 1));
  if (subtype == 0) return false;
  std::string_view rest = s.substr(type + 1 + subtype);
  // Parameters are relayed as they are; they only need to be printable.
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (rest.empty()) return true;
  if (rest.front() != ';') return false;
  for (unsigned char c : rest) {
    if ((c < 0x20 && c != '\t') || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace llmgw
