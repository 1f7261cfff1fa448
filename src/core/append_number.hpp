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

// `v` with exactly `digits` digits after the point, rounded as std::to_chars
// rounds (to nearest, ties to even, on `v`'s exact value). A duration or an
// amount (below 10^12, at most 6 digits) is scaled and written as an
// integer: to_chars with a precision took some 700 instructions a call, and
// the access log writes five durations per request. The scaled product is
// rounded to a double; it can only land on a tie (x.5) when the exact value
// was near one, and then fma gives what that rounding dropped.
inline void append_fixed(std::string& out, double v, int digits) {
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
    if (std::signbit(v)) out.push_back('-');
    append_number(out, n / scale);
    if (digits == 0) return;
    char frac[8];
    std::int64_t left = n % scale;
    for (int i = digits; i > 0; --i) {
      frac[i] = static_cast<char>('0' + left % 10);
      left /= 10;
    }
    frac[0] = '.';
    out.append(frac, static_cast<std::size_t>(digits) + 1);
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  out.append(buf, r.ptr);
}

}  // namespace llmgw
