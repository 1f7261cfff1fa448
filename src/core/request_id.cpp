#include "core/request_id.hpp"

#include <cstdint>
#include <random>

namespace llmgw {
namespace {

// xoshiro256** (Blackman and Vigna): fast, 256-bit state, good enough for
// ids that must be unique, not secret. One per thread, so no locking.
class id_generator {
 public:
  id_generator() {
    std::random_device rd;
    // splitmix64 spreads the seed so that no state word is left zero.
    std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    for (auto& word : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31) ^ (static_cast<std::uint64_t>(rd()) << 32);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace

request_id request_id::generate() {
  static constexpr char k_hex[] = "0123456789abcdef";
  thread_local id_generator gen;
  request_id id;
  auto out = id.chars_.begin();
  for (char c : prefix) *out++ = c;
  const std::uint64_t hi = gen.next();
  const std::uint64_t lo = gen.next();
  // 16 digits from `hi`, the last 8 from the low half of `lo`.
  for (int shift = 60; shift >= 0; shift -= 4) *out++ = k_hex[(hi >> shift) & 0xF];
  for (int shift = 28; shift >= 0; shift -= 4) *out++ = k_hex[(lo >> shift) & 0xF];
  return id;
}

}  // namespace llmgw
