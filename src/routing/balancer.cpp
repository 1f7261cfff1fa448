#include "routing/balancer.hpp"

#include <boost/container/small_vector.hpp>

#include <cmath>

namespace llmgw {

namespace {

double decay(double value, balancer::clock::time_point since, balancer::clock::time_point now) {
  const double ms = std::chrono::duration<double, std::milli>(now - since).count();
  if (ms <= 0) return value;
  return value * std::exp(-ms / static_cast<double>(balancer::k_decay.count()));
}

}  // namespace

double balancer::latency_score(std::size_t d, clock::time_point now) const {
  if (d >= loads_.size()) return 0;
  const load& l = loads_[d];
  return decay(l.ewma_ms, l.updated, now) * (l.in_flight + 1);
}

void balancer::started(std::size_t d) {
  if (d < loads_.size()) ++loads_[d].in_flight;
}

void balancer::ended(std::size_t d, double first_byte_ms, clock::time_point now) {
  if (d >= loads_.size()) return;
  load& l = loads_[d];
  if (l.in_flight > 0) --l.in_flight;
  // Peak-EWMA: a slower sample is taken whole (a deployment that slows down
  // loses traffic at once), a faster one blends in over the decay time.
  const double current = decay(l.ewma_ms, l.updated, now);
  if (first_byte_ms >= current) {
    l.ewma_ms = first_byte_ms;
  } else {
    // Blended over about a second of samples.
    const double ms = std::chrono::duration<double, std::milli>(now - l.updated).count();
    const double w = std::exp(-std::max(ms, 1.0) / 1000.0);
    l.ewma_ms = current * w + first_byte_ms * (1 - w);
  }
  l.updated = now;
}

std::size_t balancer::first_pick(const route& r, const deployment_health& health, clock::time_point now,
                                 std::uint64_t random) const {
  // Only the model's own deployments are first picks (fallbacks follow them).
  std::size_t n = 0;
  while (n < r.attempts.size() && r.attempts[n].kind == attempt_kind::own) ++n;
  if (n == 0) n = r.attempts.size();
  const auto usable = [&](std::size_t i) {
    return r.attempts[i].weight > 0 && health.ready(r.attempts[i].deployment, now);
  };
  const balance_strategy strategy = r.policy != nullptr ? r.policy->strategy : balance_strategy::weighted;
  if (strategy == balance_strategy::weighted || n == 1) {
    // The router's weighted pick, or the next ready one in failover order.
    for (std::size_t i = 0; i < n; ++i) {
      if (health.ready(r.attempts[i].deployment, now)) return i;
    }
    return 0;
  }
  boost::container::small_vector<std::size_t, 8> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (usable(i)) ready.push_back(i);
  }
  if (ready.empty()) return 0;
  if (strategy == balance_strategy::least_busy) {
    // Fewest in flight; ties go round by the random value, not always to the first.
    std::size_t best = ready[random % ready.size()];
    for (std::size_t i : ready) {
      if (in_flight(r.attempts[i].deployment) < in_flight(r.attempts[best].deployment)) best = i;
    }
    return best;
  }
  // latency: the better of two distinct random choices.
  if (ready.size() == 1) return ready[0];
  const std::size_t k = ready.size();
  const std::size_t ia = random % k;
  std::size_t ib = (random / k) % (k - 1);
  if (ib >= ia) ++ib;
  const std::size_t a = ready[ia], b = ready[ib];
  return latency_score(r.attempts[a].deployment, now) <= latency_score(r.attempts[b].deployment, now) ? a : b;
}

}  // namespace llmgw
