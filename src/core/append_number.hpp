#pragma once
// Numbers appended as text to a string being built (JSON bodies, headers,
// log lines): std::to_chars, so no locale, no printf parsing, and no
// allocation beyond the string's own growth.
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
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

// Longest text write_fixed() writes.
inline constexpr std::size_t k_max_fixed_chars = 64;

// `v` with exactly `digits` digits after the point, rounded as std::to_chars
// rounds (to nearest, ties to even, on `v`'s exact value), written at `out`
// (room for k_max_fixed_chars); returns the end. A duration or an amount
// (below 10^12, at most 6 digits) is scaled and written as an integer:
// to_chars with a precision took some 700 instructions a call, and the
// access log writes five durations per request. The scaled product is
// rounded to a double; it can only land on a tie (x.5) when the exact value
// was near one, and then fma gives what that rounding dropped.
inline char* write_fixed(char* out, double v, int digits) {
  static constexpr std::int64_t k_scale[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};
  if (digits >= 0 && digits <= 6 && std::fabs(v) < 1e12) {  // false for NaN too
    const std::int64_t scale = k_scale[digits];
    const double a = std::fabs(v);
    const double product = a * static_cast<double>(scale);
    double whole = std::floor(product);
    const double rest = product - whole;  // exact
    if (rest > 0.5) {
      whole += 1;
    } else if (rest == 0.5) {
      const double dropped = std::fma(a, static_cast<double>(scale), -product);  // exact
      if (dropped > 0 || (dropped == 0 && std::fmod(whole, 2) != 0)) whole += 1;
    }
    const auto n = static_cast<std::int64_t>(whole);
    if (std::signbit(v)) *out++ = '-';
    out = std::to_chars(out, out + 20, n / scale).ptr;
    if (digits == 0) return out;
    std::int64_t left = n % scale;
    for (int i = digits; i > 0; --i) {
      out[i] = static_cast<char>('0' + left % 10);
      left /= 10;
    }
    out[0] = '.';
    return out + digits + 1;
  }
  const auto r = std::to_chars(out, out + k_max_fixed_chars, v, std::chars_format::fixed, digits);
  if (r.ec != std::errc{}) {  // past 10^60: not a duration or an amount
    *out = '0';
    return out + 1;
  }
  return r.ptr;
}

inline void append_fixed(std::string& out, double v, int digits) {
  char buf[k_max_fixed_chars];
  out.append(buf, write_fixed(buf, v, digits));
}

}  // namespace llmgw
