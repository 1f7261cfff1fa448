#include "routing/deployment_health.hpp"

namespace llmgw {

deployment_health::deployment_health(std::size_t deployments)
    : entries_(std::make_unique<entry[]>(deployments)), size_(deployments) {}

bool deployment_health::ready(std::size_t d, clock::time_point now) const {
  if (d >= size_) return true;
  const entry& e = entries_[d];
  if (e.until_ms.load(std::memory_order_relaxed) > ms(now)) return false;
  return !(e.needs_probe.load(std::memory_order_relaxed) && e.probing.load(std::memory_order_relaxed));
}

deployment_health::clock::time_point deployment_health::ready_at(std::size_t d) const {
  if (d >= size_) return {};
  return clock::time_point(std::chrono::milliseconds(entries_[d].until_ms.load(std::memory_order_relaxed)));
}

void deployment_health::asking(std::size_t d, clock::time_point now) {
  if (d >= size_) return;
  entry& e = entries_[d];
  if (e.needs_probe.load(std::memory_order_relaxed) && e.until_ms.load(std::memory_order_relaxed) <= ms(now)) {
    bool expected = false;
    e.probing.compare_exchange_strong(expected, true, std::memory_order_relaxed);
  }
}

void deployment_health::succeeded(std::size_t d) {
  if (d >= size_) return;
  entry& e = entries_[d];
  if (e.needs_probe.load(std::memory_order_relaxed)) {
    e.needs_probe.store(false, std::memory_order_relaxed);
    e.probing.store(false, std::memory_order_relaxed);
    std::lock_guard lock(e.mutex);
    e.failures.clear();
  }
}

void deployment_health::abandoned(std::size_t d) {
  if (d < size_) entries_[d].probing.store(false, std::memory_order_relaxed);
}

void deployment_health::failed(std::size_t d, const cooldown_policy& p, clock::time_point now) {
  if (d >= size_) return;
  entry& e = entries_[d];
  std::lock_guard lock(e.mutex);
  // A failed probe rests it again at once.
  const bool was_probe = e.needs_probe.load(std::memory_order_relaxed);
  e.failures.push_back(now);
  while (!e.failures.empty() && now - e.failures.front() > p.window) e.failures.pop_front();
  if (was_probe || e.failures.size() >= p.failures) {
    e.until_ms.store(ms(now + p.duration), std::memory_order_relaxed);
    e.needs_probe.store(true, std::memory_order_relaxed);
    e.probing.store(false, std::memory_order_relaxed);
    e.failures.clear();
  }
}

void deployment_health::retry_after(std::size_t d, clock::time_point until) {
  if (d >= size_) return;
  entry& e = entries_[d];
  std::lock_guard lock(e.mutex);
  if (ms(until) > e.until_ms.load(std::memory_order_relaxed)) e.until_ms.store(ms(until), std::memory_order_relaxed);
  e.needs_probe.store(true, std::memory_order_relaxed);
  e.probing.store(false, std::memory_order_relaxed);
}

}  // namespace llmgw
