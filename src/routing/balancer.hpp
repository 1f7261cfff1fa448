#pragma once
// One worker's view of the group deployments it sends to: requests in
// flight, a peak-EWMA of time to first byte, the recent p95 of it, and each
// deployment's price. Picks a group's first deployment by its strategy
// (least_busy, latency, cost); no lock, no sharing — each worker balances
// its own traffic, which at any load worth balancing is a fair sample of
// the process's.
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <span>
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
  // What a failed attempt weighs, at least, as a time to first byte: like
  // a slow answer, so `latency` and `cost` move traffic away from a
  // deployment that fails fast (until its cooldown, if any, trips).
  static constexpr double k_failed_attempt_ms = 2'000;

  // The p95 is taken over a deployment's last k_ttft_samples first-byte
  // times…
  static constexpr std::size_t k_ttft_samples = 64;
  // …with no gap longer than this between them: older ones describe a
  // deployment that may have changed since. A deployment with no sample
  // this recent is unmeasured again, and its next sample starts afresh (a
  // slow deployment that lost its traffic is probed again after this long).
  static constexpr std::chrono::milliseconds k_ttft_window{30'000};

  explicit balancer(std::size_t deployments) : loads_(deployments) {}

  // The index into r.attempts of the first deployment to ask: by the
  // group's strategy among the ready ones with weight; the router's own pick
  // (weighted) when that is the strategy or nothing is ready.
  //
  // cost: the cheapest (price(d)) whose p95 meets the group's
  // latency_target (none set: the cheapest); a deployment without a recent
  // sample meets it while nothing of this worker is in flight to it, so it
  // is measured by one request at a time. When none meets it, the lowest
  // measured p95 (none measured: the cheapest). Equal prices share by weight.
  std::size_t first_pick(const route& r, const deployment_health& health, clock::time_point now,
                         std::uint64_t random) const;

  void started(std::size_t d);
  // The attempt ended: `first_byte_ms` when the vendor answered, else the
  // time it cost before failing (a failure weighs like a slow answer).
  void ended(std::size_t d, double first_byte_ms, clock::time_point now);

  // in flight + 1, times the decayed peak-EWMA (0 while unmeasured: a new
  // deployment is tried at once).
  double latency_score(std::size_t d, clock::time_point now) const;
  int in_flight(std::size_t d) const { return d < loads_.size() ? loads_[d].in_flight : 0; }

  // The p95 (nearest rank) of d's last k_ttft_samples times to first byte,
  // in ms; NaN while it has none. Samples are not aged here (measured(d,
  // now) says whether they are recent). The first call after a new sample
  // selects it from the ring (a copy and nth_element over at most 64
  // floats: about 0.25 µs at -O2); later calls return the value kept (2 ns).
  double p95_ttft_ms(std::size_t d) const;
  // Whether d has a sample within k_ttft_window of `now`.
  bool measured(std::size_t d, clock::time_point now) const;

  // What d costs, as one number to compare: USD per million input tokens
  // plus per million output tokens, from the price the gateway would bill
  // it at. Unpriced (the default): +infinity, after every priced one.
  void set_price(std::size_t d, double usd_per_mtok);
  double price(std::size_t d) const;

 private:
  struct load {
    int in_flight = 0;
    double ewma_ms = 0;
    clock::time_point updated{};  // the last sample's time
    // The last samples, oldest overwritten first.
    std::array<float, k_ttft_samples> ttft_ms{};
    std::uint8_t samples = 0;  // how many of ttft_ms hold one
    std::uint8_t next = 0;     // where the next goes
    // p95 of the ring, kept until the next sample (a pick of the cost
    // strategy reads it for every ready deployment).
    mutable bool p95_current = false;
    mutable float p95_ms = 0;
    double price = std::numeric_limits<double>::infinity();
  };
  // strategy cost among `ready` (indexes into r.attempts, not empty).
  std::size_t pick_by_cost(const route& r, std::span<const std::size_t> ready, clock::time_point now,
                           std::uint64_t random) const;
  std::vector<load> loads_;
};

}  // namespace llmgw
