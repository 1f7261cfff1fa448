#include "routing/deployment_health.hpp"

namespace llmgw {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;
}

deployment_health::deployment_health(std::size_t deployments)
    : entries_(std::make_unique<entry[]>(deployments)), size_(deployments) {}

bool deployment_health::ready(std::size_t d, clock::time_point now) const {
  if (d >= size_) return true;
  const entry& e = entries_[d];
  if (e.until_ms.load(relaxed) > ms(now)) return false;
  if (!e.needs_probe.load(relaxed)) return true;
  if (e.probing.load(relaxed)) return false;
  if (e.gate_closed.load(relaxed)) {
    // Another instance probes it, or none has been given the probe yet: the
    // next poll asks for it on this process's behalf.
    e.wanted.store(true, relaxed);
    return false;
  }
  return true;
}

deployment_health::clock::time_point deployment_health::ready_at(std::size_t d) const {
  if (d >= size_) return {};
  return clock::time_point(std::chrono::milliseconds(entries_[d].until_ms.load(relaxed)));
}

void deployment_health::asking(std::size_t d, clock::time_point now) {
  if (d >= size_) return;
  entry& e = entries_[d];
  if (e.needs_probe.load(relaxed) && e.until_ms.load(relaxed) <= ms(now)) {
    bool expected = false;
    e.probing.compare_exchange_strong(expected, true, relaxed);
  }
}

void deployment_health::succeeded(std::size_t d) {
  if (d >= size_) return;
  entry& e = entries_[d];
  if (e.needs_probe.load(relaxed)) {
    e.needs_probe.store(false, relaxed);
    e.probing.store(false, relaxed);
    {
      std::lock_guard lock(e.mutex);
      e.failures.clear();
    }
    if (events_ != nullptr) events_->probe_succeeded(d);
  }
}

void deployment_health::abandoned(std::size_t d) {
  if (d < size_) entries_[d].probing.store(false, relaxed);
}

void deployment_health::failed(std::size_t d, const cooldown_policy& p, clock::time_point now) {
  if (d >= size_) return;
  entry& e = entries_[d];
  {
    std::lock_guard lock(e.mutex);
    // A failed probe rests it again at once.
    const bool was_probe = e.needs_probe.load(relaxed);
    e.failures.push_back(now);
    while (!e.failures.empty() && now - e.failures.front() > p.window) e.failures.pop_front();
    if (was_probe || e.failures.size() >= p.failures) {
      e.until_ms.store(ms(now + p.duration), relaxed);
      e.needs_probe.store(true, relaxed);
      e.probing.store(false, relaxed);
      e.failures.clear();
    }
  }
  if (events_ != nullptr) events_->failed(d, p);
}

void deployment_health::retry_after(std::size_t d, clock::time_point until) {
  if (d >= size_) return;
  entry& e = entries_[d];
  {
    std::lock_guard lock(e.mutex);
    if (ms(until) > e.until_ms.load(relaxed)) e.until_ms.store(ms(until), relaxed);
    e.needs_probe.store(true, relaxed);
    e.probing.store(false, relaxed);
  }
  if (events_ != nullptr) {
    events_->retry_after(d, std::chrono::ceil<std::chrono::milliseconds>(until - clock::now()));
  }
}

void deployment_health::merge(std::size_t d, shared_view s, clock::time_point now) {
  if (d >= size_) return;
  entry& e = entries_[d];
  if (s.state == shared_state::healthy) {
    e.gate_closed.store(false, relaxed);
    // Closed by another instance's probe (or it never rested there): a rest
    // of this process's own that has ended needs no probe of its own. One
    // that has not ended yet may simply not have reached Redis yet.
    if (e.needs_probe.load(relaxed) && e.until_ms.load(relaxed) <= ms(now)) {
      std::lock_guard lock(e.mutex);  // not against a failure resting it meanwhile
      if (e.until_ms.load(relaxed) <= ms(now)) {
        e.needs_probe.store(false, relaxed);
        e.probing.store(false, relaxed);
      }
    }
    return;
  }
  if (s.state == shared_state::cooling) {
    // Instances' steady clocks differ: the shared time arrives as time left.
    const std::int64_t until = ms(now + s.left);
    std::lock_guard lock(e.mutex);
    if (until > e.until_ms.load(relaxed)) e.until_ms.store(until, relaxed);
  }
  e.gate_closed.store(s.state != shared_state::probe_ours, relaxed);
  e.needs_probe.store(true, relaxed);
}

void deployment_health::unshare() {
  for (std::size_t d = 0; d < size_; ++d) entries_[d].gate_closed.store(false, relaxed);
}

bool deployment_health::wants_probe(std::size_t d) {
  if (d >= size_) return false;
  entry& e = entries_[d];
  const bool asked = e.wanted.exchange(false, relaxed);
  return asked || (e.needs_probe.load(relaxed) && e.probing.load(relaxed));
}

}  // namespace llmgw
