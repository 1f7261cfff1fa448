#pragma once
// One worker's view of the group deployments it sends to: requests in
// flight and a peak-EWMA of time to first byte. Picks a group's first
// deployment by its strategy (least_busy, latency); no lock, no sharing —
// each worker balances its own traffic, which at any load worth balancing
// is a fair sample of the process's.
#include <chrono>
#include <cstdint>
#include <vector>

#include "routing/deployment_health.hpp"
#include "routing/router.hpp"

namespace llmgw {

class balancer {
 public:
  using clock = std::chrono::steady_clock;
  // How fast an old measurement fades: a deployment that was slow is probed
  // again once its score has decayed below the others'.
  static constexpr std::chrono::milliseconds k_decay{10'000};

  explicit balancer(std::size_t deployments) : loads_(deployments) {}

  // The index into r.attempts of the first deployment to ask: by the
  // group's strategy among the ready ones with weight; the router's own pick
  // (weighted) when that is the strategy or nothing is ready.
  std::size_t first_pick(const route& r, const deployment_health& health, clock::time_point now,
                         std::uint64_t random) const;

  void started(std::size_t d);
  // The attempt ended: `first_byte_ms` when the vendor answered, else the
  // time it cost before failing (a failure weighs like a slow answer).
  void ended(std::size_t d, double first_byte_ms, clock::time_point now);

  // in flight + 1, times the decayed peak-EWMA (0 while unmeasured: a new
  // deployment is tried at once).
  double latency_score(std::size_t d, clock::time_point now) const;
  double p95_ttft_ms(std::size_t) const { return -1; }  // TEMP until the cost-strategy branch lands
  int in_flight(std::size_t d) const { return d < loads_.size() ? loads_[d].in_flight : 0; }

 private:
  struct load {
    int in_flight = 0;
    double ewma_ms = 0;
    clock::time_point updated{};
  };
  std::vector<load> loads_;
};

}  // namespace llmgw
