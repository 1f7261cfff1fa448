#pragma once
// How a model group written as an object (`model_groups: {name: {strategy,
// deployments, …}}`) picks, retries and rests its deployments. A group
// written as a plain list of deployments has none: weighted first pick, each
// deployment asked at most once, no cooldown (the behaviour before groups
// could say more).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmgw {

enum class balance_strategy : std::uint8_t {
  weighted,    // first pick by weight
  least_busy,  // fewest requests in flight (this worker's count)
  latency,     // power of two choices over a peak-EWMA of time to first byte
  cost,        // the cheapest whose recent p95 time to first byte meets latency_target
};

struct cooldown_policy {
  unsigned failures = 3;                       // failures within `window` take a deployment out…
  std::chrono::milliseconds window{30'000};    // …
  std::chrono::milliseconds duration{30'000};  // …for this long; then one probe request
};

struct group_policy {
  balance_strategy strategy = balance_strategy::weighted;
  // strategy cost: the p95 time to first byte a deployment must meet to be
  // picked for its price. Absent: no latency condition, the cheapest wins.
  std::optional<std::chrono::milliseconds> latency_target;
  unsigned max_attempts = 3;  // attempts in all, a deployment asked again after a backoff
  // No attempt starts once this much time has passed since the first (0: no bound).
  std::chrono::milliseconds retry_budget{0};
  // Vendor statuses that move on to another attempt; connect failures and
  // timeouts before the first byte when retry_on_connect.
  std::vector<int> retry_on{408, 429, 500, 502, 503, 504, 529};
  bool retry_on_connect = true;
  cooldown_policy cooldown;
  // Models (any model string: a group, an alias, vendor/model…) asked after
  // this group's deployments, each translated for its vendor; and those
  // asked only when a vendor says the prompt is too long for its context
  // window, or refuses it for its content policy.
  std::vector<std::string> fallbacks, context_window_fallbacks, content_policy_fallbacks;
  // Hedging: when the first attempt has no content after hedge_after (or,
  // with hedge_p95, its deployment's measured p95 time to first byte), a
  // second attempt starts on another deployment; the first with content
  // wins and the other is cancelled. Bounded by a token bucket refilled by
  // hedge_max_ratio of the group's requests (burst k_hedge_burst). Off when
  // neither is set.
  std::optional<std::chrono::milliseconds> hedge_after;
  bool hedge_p95 = false;
  double hedge_max_ratio = 0.1;
  static constexpr unsigned k_hedge_burst = 10;
  bool hedges() const { return hedge_after.has_value() || hedge_p95; }
  // Override upstream: for this group's calls.
  std::optional<std::chrono::milliseconds> connect_timeout, first_byte_timeout, total_timeout, idle_timeout;

  bool retries(int status) const {
    for (int s : retry_on) {
      if (s == status) return true;
    }
    return false;
  }
};

}  // namespace llmgw
