#pragma once
// Per process: which group deployments are resting. A deployment that failed
// `cooldown.failures` times within `cooldown.window`, or answered a 429 with
// a retry-after, is cooling: skipped while the route has another deployment
// to ask, and when its cooldown ends it takes one probe request before the
// others follow (a success closes it, a failure rests it again). Shared by
// every worker: reading is two relaxed atomic loads, the lock is taken only
// to record a failure.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "config/group_policy.hpp"

namespace llmgw {

class deployment_health {
 public:
  using clock = std::chrono::steady_clock;

  explicit deployment_health(std::size_t deployments);

  // May this deployment be asked now? A cooling one: no; one whose cooldown
  // has ended but whose probe is out (another request took it): no.
  bool ready(std::size_t d, clock::time_point now) const;
  // When it may be asked again (now or earlier: it may).
  clock::time_point ready_at(std::size_t d) const;
  // A request is about to ask it: when its cooldown has ended, this request
  // is the probe (true), and others wait for its outcome.
  void asking(std::size_t d, clock::time_point now);

  void succeeded(std::size_t d);
  // The request that asked gave up before an outcome (its client left): a
  // probe it held goes to the next request.
  void abandoned(std::size_t d);
  void failed(std::size_t d, const cooldown_policy& p, clock::time_point now);
  // The vendor said when to come back (a 429 or 503 with retry-after).
  void retry_after(std::size_t d, clock::time_point until);

  bool cooling(std::size_t d, clock::time_point now) const { return ready_at(d) > now; }

 private:
  static std::int64_t ms(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  struct entry {
    std::atomic<std::int64_t> until_ms{0};   // cooling until (steady clock ms); 0: never cooled
    std::atomic<bool> needs_probe{false};    // the cooldown ended: the next request probes
    std::atomic<bool> probing{false};        // a probe is out
    std::mutex mutex;                        // failures
    std::deque<clock::time_point> failures;  // within the window
  };
  std::unique_ptr<entry[]> entries_;
  std::size_t size_;
};

}  // namespace llmgw
