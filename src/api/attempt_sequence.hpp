#pragma once
// Which deployment the next attempt of a request asks, and how long it waits
// first. A route without a group policy asks its deployments once each, in
// order, up to upstream.max_attempts (the behaviour before policies). With a
// policy: the first pick by the group's strategy; then the deployments not
// yet asked that are not cooling, in failover order; then those asked
// before, after a jittered exponential backoff; a deployment that said when
// to come back (retry-after) is not asked before then; never more than
// max_attempts, and none starts after retry_budget. When every deployment
// is cooling, the one whose cooldown ends first is asked: the gateway does
// not refuse a request on its own for a vendor's past errors.
#include <boost/container/small_vector.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

#include "routing/balancer.hpp"
#include "routing/deployment_health.hpp"
#include "routing/router.hpp"

namespace llmgw::api {

class attempt_sequence {
 public:
  using clock = std::chrono::steady_clock;
  // Backoff before asking a deployment again: base × 2^(asked − 1), ±50%, at most the cap.
  static constexpr std::chrono::milliseconds k_backoff_base{100};
  static constexpr std::chrono::milliseconds k_backoff_cap{5'000};
  // Without a retry budget, the longest a retry waits for a retry-after.
  static constexpr std::chrono::milliseconds k_max_wait_without_budget{5'000};

  struct step {
    std::size_t index;  // into route.attempts
    std::chrono::milliseconds wait{0};
  };

  attempt_sequence(const route& r, unsigned max_attempts_without_policy, const deployment_health& health,
                   const balancer& load, clock::time_point started, std::uint64_t random);

  std::optional<step> next(clock::time_point now);
  // This deployment will not be asked again by this request (it refused the
  // request or the gateway's credentials).
  void exclude(std::size_t index);
  // A vendor said the prompt is too long for its context window (or refused
  // it for its content policy): from now on only the route's fallbacks for
  // that are asked. False when the route has none.
  bool switch_to(attempt_kind kind);
  // A hedge beside attempt `running`: a ready deployment of the route not
  // asked yet, the quickest by this worker's measurements; it counts as an
  // attempt. Nothing when none is ready, or the count or time is up.
  std::optional<std::size_t> hedge_pick(std::size_t running, clock::time_point now);
  std::size_t made() const { return made_; }

 private:
  std::chrono::milliseconds backoff(unsigned asked);

  const route& route_;
  const group_policy* policy_;
  const deployment_health& health_;
  const balancer& load_;
  clock::time_point started_;
  std::uint64_t random_;
  std::size_t max_;
  std::size_t made_ = 0;
  // Inline for the routes of everyday size: a request allocates nothing here.
  boost::container::small_vector<unsigned, 8> asked_;
  boost::container::small_vector<bool, 8> excluded_;
  attempt_kind phase_ = attempt_kind::own;  // own: the deployments and plain fallbacks
  bool eligible(std::size_t i) const;
};

}  // namespace llmgw::api
