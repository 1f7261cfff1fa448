#include "routing/balancer.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace llmgw {

namespace {

double decay(double value, balancer::clock::time_point since, balancer::clock::time_point now) {
  const double ms = std::chrono::duration<double, std::milli>(now - since).count();
  if (ms <= 0) return value;
  return value * std::exp(-ms / static_cast<double>(balancer::k_decay.count()));
}

// Of `candidates` (indexes into r.attempts), the cheapest; equal prices
// share by weight.
std::size_t cheapest(const route& r, std::span<const std::size_t> candidates, const balancer& b, std::uint64_t random) {
  double lowest = std::numeric_limits<double>::infinity();
  std::size_t first = candidates.front();
  for (std::size_t i : candidates) {
    if (b.price(r.attempts[i].deployment) < lowest) {
      lowest = b.price(r.attempts[i].deployment);
      first = i;
    }
  }
  std::uint64_t total = 0;
  for (std::size_t i : candidates) {
    if (b.price(r.attempts[i].deployment) == b.price(r.attempts[first].deployment)) total += r.attempts[i].weight;
  }
  if (total == 0) return first;
  std::uint64_t x = random % total;
  for (std::size_t i : candidates) {
    if (b.price(r.attempts[i].deployment) != b.price(r.attempts[first].deployment)) continue;
    if (x < r.attempts[i].weight) return i;
    x -= r.attempts[i].weight;
  }
  return first;
}

}  // namespace

double balancer::p95_ttft_ms(std::size_t d) const {
  if (d >= loads_.size() || loads_[d].samples == 0) return std::numeric_limits<double>::quiet_NaN();
  const load& l = loads_[d];
  if (!l.p95_current) {
    std::array<float, k_ttft_samples> v;
    std::copy_n(l.ttft_ms.begin(), l.samples, v.begin());
    // Nearest rank: the ceil(0.95 n)-th smallest.
    const std::size_t rank = (l.samples * 95u + 99u) / 100u;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.begin() + l.samples);
    l.p95_ms = v[rank - 1];
    l.p95_current = true;
  }
  return l.p95_ms;
}

bool balancer::measured(std::size_t d, clock::time_point now) const {
  return d < loads_.size() && loads_[d].samples > 0 && now - loads_[d].updated <= k_ttft_window;
}

void balancer::set_price(std::size_t d, double usd_per_mtok) {
  if (d < loads_.size()) loads_[d].price = usd_per_mtok;
}

double balancer::price(std::size_t d) const {
  return d < loads_.size() ? loads_[d].price : std::numeric_limits<double>::infinity();
}

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
  // The p95's ring. After a gap longer than the window the old samples
  // describe another time: they go.
  if (l.samples > 0 && now - l.updated > k_ttft_window) l.samples = l.next = 0;
  l.ttft_ms[l.next] = static_cast<float>(first_byte_ms);
  l.next = static_cast<std::uint8_t>((l.next + 1) % k_ttft_samples);
  if (l.samples < k_ttft_samples) ++l.samples;
  l.p95_current = false;
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
  if (strategy == balance_strategy::cost) return pick_by_cost(r, ready, now, random);
  // latency: the better of two distinct random choices.
  if (ready.size() == 1) return ready[0];
  const std::size_t k = ready.size();
  const std::size_t ia = random % k;
  std::size_t ib = (random / k) % (k - 1);
  if (ib >= ia) ++ib;
  const std::size_t a = ready[ia], b = ready[ib];
  return latency_score(r.attempts[a].deployment, now) <= latency_score(r.attempts[b].deployment, now) ? a : b;
}

std::size_t balancer::pick_by_cost(const route& r, std::span<const std::size_t> ready, clock::time_point now,
                                   std::uint64_t random) const {
  const auto& target = r.policy->latency_target;
  if (!target) return cheapest(r, ready, *this, random);
  boost::container::small_vector<std::size_t, 8> meeting;
  for (std::size_t i : ready) {
    const std::size_t d = r.attempts[i].deployment;
    if (measured(d, now)) {
      if (p95_ttft_ms(d) <= static_cast<double>(target->count())) meeting.push_back(i);
    } else if (in_flight(d) == 0) {
      // Unmeasured (or not lately): it may be fast, and only a request tells.
      // One at a time, so a deployment that turned slow takes one request, not a burst.
      meeting.push_back(i);
    }
  }
  if (!meeting.empty()) return cheapest(r, meeting, *this, random);
  // None meets the target: the fastest measured one, whatever it costs.
  std::optional<std::size_t> fastest;
  for (std::size_t i : ready) {
    const std::size_t d = r.attempts[i].deployment;
    if (!measured(d, now)) continue;
    if (!fastest || p95_ttft_ms(d) < p95_ttft_ms(r.attempts[*fastest].deployment)) fastest = i;
  }
  if (fastest) return *fastest;
  return cheapest(r, ready, *this, random);  // each is being probed: by price
}

}  // namespace llmgw
