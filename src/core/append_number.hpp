#pragma once
// Numbers appended as text to a string being built (JSON bodies, headers,
// log lines): std::to_chars, so no locale, no printf parsing, and no
// allocation beyond the string's own growth.
#include <charconv>
#include <concepts>
#include <string>

namespace llmgw {

// Integers in decimal; floating point in the shortest form that reads back
// as the same value.
template <typename T>
requires std::integral<T> || std::floating_point<T>
void append_number(std::string& out, T v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `v` with exactly `digits` digits after the point.
inline void append_fixed(std::string& out, double v, int digits) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  out.append(buf, r.ptr);
}

}  // namespace llmgw
