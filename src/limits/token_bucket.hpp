#pragma once
// One token bucket's arithmetic, with no clock and no storage of its own:
// the memory limiter keeps these per bucket, and the Redis script does the
// same sums in Lua. Level starts full; refill is continuous at amount/minute.
#include <algorithm>
#include <chrono>
#include <cmath>

namespace llmgw::limits {

struct token_bucket {
  using clock = std::chrono::steady_clock;
  double level = 0;
  clock::time_point updated{};
  bool started = false;

  static constexpr double per_ms(double amount) { return amount / 60'000.0; }

  // The level at `now`, refilled since the last update, at most `amount`.
  void refill(double amount, clock::time_point now) {
    if (!started) {
      level = amount;
      updated = now;
      started = true;
      return;
    }
    const double ms = std::chrono::duration<double, std::milli>(now - updated).count();
    if (ms > 0) level = std::min(amount, level + ms * per_ms(amount));
    updated = now;
  }

  // How long until the level reaches `wanted` (0 when it has).
  std::chrono::milliseconds wait_for(double amount, double wanted) const {
    if (level >= wanted || amount <= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<long long>(std::ceil((wanted - level) / per_ms(amount))));
  }
};

}  // namespace llmgw::limits
