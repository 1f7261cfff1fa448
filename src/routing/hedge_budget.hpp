#pragma once
// How many hedges a model group may fire, per process: a token bucket that
// each request to the group refills by hedge_max_ratio of a token, holding
// at most `burst` tokens (and starting full, so a quiet group can always
// hedge). A hedge takes one token. Lock-free: any worker may ask.
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace llmgw {

class hedge_budget {
 public:
  hedge_budget(double ratio, unsigned burst)
      : refill_(static_cast<std::int64_t>(ratio * k_unit)),
        cap_(static_cast<std::int64_t>(burst) * k_unit),
        tokens_(cap_) {}

  // One request to the group.
  void request() {
    std::int64_t v = tokens_.load(std::memory_order_relaxed);
    while (v < cap_ && !tokens_.compare_exchange_weak(v, std::min(cap_, v + refill_), std::memory_order_relaxed)) {
    }
  }
  // One hedge: true when a token was there (and is now spent).
  bool take() {
    std::int64_t v = tokens_.load(std::memory_order_relaxed);
    while (v >= k_unit) {
      if (tokens_.compare_exchange_weak(v, v - k_unit, std::memory_order_relaxed)) return true;
    }
    return false;
  }

 private:
  static constexpr std::int64_t k_unit = 1'000'000;  // one token, in millionths
  std::int64_t refill_, cap_;
  std::atomic<std::int64_t> tokens_;
};

}  // namespace llmgw
