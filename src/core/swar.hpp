#pragma once
// Tests on eight bytes at once ("SIMD within a register"), for the loops that
// look for a few special bytes in long runs of ordinary ones. Each test is
// exact about whether a word holds a match; where, when it must be known, is
// the lowest set bit of first_byte_equal's result (a borrow can only mark
// bytes above a real match).
#include <bit>
#include <cstdint>
#include <cstring>

namespace llmgw::swar {

inline constexpr bool available = std::endian::native == std::endian::little;
inline constexpr std::uint64_t ones = 0x0101010101010101ULL;
inline constexpr std::uint64_t highs = 0x8080808080808080ULL;

inline std::uint64_t load(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The high bit of every byte equal to c (and maybe of bytes above the first
// such byte); 0 when there is none.
inline std::uint64_t bytes_equal(std::uint64_t w, unsigned char c) {
  const std::uint64_t x = w ^ (ones * c);
  return (x - ones) & ~x & highs;
}

// Non-zero when some byte is below n (n <= 128).
inline std::uint64_t bytes_below(std::uint64_t w, unsigned char n) { return (w - ones * n) & ~w & highs; }

// The index of the first marked byte of a non-zero bytes_equal result.
inline unsigned first_marked(std::uint64_t marks) { return static_cast<unsigned>(std::countr_zero(marks)) / 8; }

}  // namespace llmgw::swar
