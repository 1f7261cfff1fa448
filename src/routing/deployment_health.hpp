#pragma once
// Which group deployments are resting. A deployment that failed
// `cooldown.failures` times within `cooldown.window`, or answered a 429 with
// a retry-after, is cooling: skipped while the route has another deployment
// to ask, and when its cooldown ends it takes one probe request before the
// others follow (a success closes it, a failure rests it again). Shared by
// every worker: reading is a few relaxed atomic loads, the lock is taken only
// to record a failure.
//
// With REDIS_URL every instance's view is shared (api/shared_cooldown.hpp):
// this process's failures, retry-afters and probe successes are told to
// `health_events` as they happen, and what every instance knows comes back
// through merge() a few times a second. The request path still reads only
// these atomics. While Redis answers, the probe after a cooldown belongs to
// one instance at a time; the others wait for its outcome.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "config/group_policy.hpp"

namespace llmgw {

// What the instances together know of one deployment.
enum class shared_state : std::uint8_t {
  healthy,          // not resting anywhere
  cooling,          // resting for `left` more
  probe_ours,       // its cooldown ended, and this instance holds its probe
  probe_elsewhere,  // its cooldown ended; another instance holds the probe, or none does yet
};
struct shared_view {
  shared_state state = shared_state::healthy;
  std::chrono::milliseconds left{0};  // cooling: how long it still rests

  bool operator==(const shared_view&) const = default;
};

// Told, on the worker's thread, what the other instances must hear. Must
// not block: it only queues.
class health_events {
 public:
  virtual ~health_events() = default;
  virtual void failed(std::size_t d, const cooldown_policy& p) = 0;
  virtual void retry_after(std::size_t d, std::chrono::milliseconds wait) = 0;
  // A request succeeded on a deployment that was resting or awaiting its probe.
  virtual void probe_succeeded(std::size_t d) = 0;
};

class deployment_health {
 public:
  using clock = std::chrono::steady_clock;

  explicit deployment_health(std::size_t deployments);

  // May this deployment be asked now? A cooling one: no; one whose cooldown
  // has ended but whose probe is out (another request or instance took it),
  // or not yet given to this instance: no.
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

  // Sharing between instances. Set before the workers start and cleared
  // after they stop (nullptr: per process, the default).
  void publish_to(health_events* events) { events_ = events; }
  // What every instance knows of `d`, as read at `now`: cooling until the
  // later of this process's time and the shared one; a probe only by the
  // instance that holds it.
  void merge(std::size_t d, shared_view s, clock::time_point now);
  // The shared state cannot be read (Redis down): each process decides its
  // own probes again, as without Redis.
  void unshare();
  // Whether this process wants the probe of `d`: a request found it waiting
  // for one since the last call, or its probe is out (the claim is renewed).
  bool wants_probe(std::size_t d);

 private:
  static std::int64_t ms(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  struct entry {
    std::atomic<std::int64_t> until_ms{0};    // cooling until (steady clock ms); 0: never cooled
    std::atomic<bool> needs_probe{false};     // the cooldown ended: the next request probes
    std::atomic<bool> probing{false};         // a probe is out
    std::atomic<bool> gate_closed{false};     // shared: the probe is another instance's, or nobody's yet
    mutable std::atomic<bool> wanted{false};  // shared: a request found it waiting for a probe
    std::mutex mutex;                         // failures
    std::deque<clock::time_point> failures;   // within the window
  };
  std::unique_ptr<entry[]> entries_;
  std::size_t size_;
  health_events* events_ = nullptr;
};

}  // namespace llmgw
