#pragma once
// With REDIS_URL: one process's deployment_health kept in step with every
// other instance's, without Redis on the request path. One small thread of
// its own, with its own Redis connection:
//  - what a worker learns (a failure, a retry-after, a probe's success) is
//    handed over as it happens (deployment_health calls health_events) and
//    sent to Redis from this thread; the worker never waits for it;
//  - every `poll_every` one script call reads every shared deployment's
//    state (api/cooldown_store.hpp) and merges it into the local view:
//    resting until the later of the two times, and the probe after a rest
//    given to one instance at a time (a claim this process renews while its
//    probe is out, and that lapses after `4 × poll_every` otherwise).
// When Redis cannot be asked, each process rests its deployments on its own
// (as without Redis) and a log line says so; once Redis answers again, the
// next poll shares them again. Deployments are named by group, provider and
// vendor model, so instances whose configurations differ in order agree.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "routing/deployment_health.hpp"
#include "routing/router.hpp"

namespace llmgw::api {

// Every group deployment's cooldown name (api/cooldown_store.hpp), by
// route_attempt::deployment; empty for those whose group never rests them.
std::vector<std::string> cooldown_names(const router& routes);

class shared_cooldown final : public health_events {
 public:
  static constexpr std::chrono::milliseconds k_poll_every{250};

  // `names` as cooldown_names gives them; `redis_url` as REDIS_URL
  // (config_error when it cannot be parsed), `cluster` as REDIS_CLUSTER.
  shared_cooldown(deployment_health& health, std::vector<std::string> names, const std::string& redis_url, bool cluster,
                  std::chrono::milliseconds poll_every = k_poll_every);
  // Stops the thread and tells `health` to publish nothing more: call it
  // once the workers have stopped.
  ~shared_cooldown() override;
  shared_cooldown(const shared_cooldown&) = delete;
  shared_cooldown& operator=(const shared_cooldown&) = delete;

  // Starts the thread and makes `health` publish here: before the workers start.
  void start();
  // How many deployments are shared (0: nothing to do, start() starts nothing).
  std::size_t shared() const;

  // health_events, called on the workers' threads.
  void failed(std::size_t d, const cooldown_policy& p) override;
  void retry_after(std::size_t d, std::chrono::milliseconds wait) override;
  void probe_succeeded(std::size_t d) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace llmgw::api
