#pragma once
// The name of a response header, checked to be an HTTP token (RFC 9110's
// tchar: letters, digits and !#$%&'*+-.^_`|~) when the program is compiled.
// Every name the gateway writes is a literal; a name that is not a token is
// a compile error, so writing a response checks only the values (which
// carry data: model names, ids, vendors' retry-after).
#include <cstddef>
#include <optional>
#include <string_view>

namespace llmgw::http {

constexpr bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

constexpr bool is_token_text(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

class header_name {
 public:
  template <std::size_t N>
  consteval header_name(const char (&literal)[N])  // NOLINT(google-explicit-constructor): names are literals
      : view_(literal, N - 1) {
    // Reaching the throw in a constant evaluation fails the compile.
    if (!is_token_text(view_)) throw "a response header's name must be an HTTP token";
  }
  // A name known only at run time (the mock vendor replays scripted
  // headers): checked now, nullopt when it is not a token. The name's bytes
  // must outlive the response.
  static constexpr std::optional<header_name> checked(std::string_view name) {
    if (!is_token_text(name)) return std::nullopt;
    return header_name(name, 0);
  }
  constexpr std::string_view view() const { return view_; }

 private:
  constexpr header_name(std::string_view checked_name, int) : view_(checked_name) {}
  std::string_view view_;
};

// One extra header of a response: its name fixed when compiled, its value
// checked for control characters when the response is written.
struct header_field {
  header_name name;
  std::string_view value;
};

}  // namespace llmgw::http
