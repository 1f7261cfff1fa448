#include "routing/balancer.hpp"

#include <gtest/gtest.h>

#include <map>

namespace llmgw {
namespace {

using namespace std::chrono_literals;
using clock = balancer::clock;

route two_deployments(const group_policy& p) {
  route r;
  r.policy = &p;
  r.attempts.push_back({nullptr, "a", 1, false, nullptr, 0});
  r.attempts.push_back({nullptr, "b", 1, false, nullptr, 1});
  return r;
}

TEST(balancer, least_busy_picks_the_deployment_with_fewer_requests_in_flight) {
  group_policy p;
  p.strategy = balance_strategy::least_busy;
  const route r = two_deployments(p);
  deployment_health h(2);
  balancer b(2);
  b.started(0);
  b.started(0);
  b.started(1);
  for (std::uint64_t rnd = 0; rnd < 8; ++rnd) EXPECT_EQ(b.first_pick(r, h, clock::now(), rnd), 1u);
  b.ended(1, 10, clock::now());
  b.started(1);
  b.started(1);
  b.started(1);
  EXPECT_EQ(b.first_pick(r, h, clock::now(), 0), 0u);
}

TEST(balancer, latency_prefers_the_faster_and_probes_a_slow_one_once_its_measure_fades) {
  group_policy p;
  p.strategy = balance_strategy::latency;
  const route r = two_deployments(p);
  deployment_health h(2);
  balancer b(2);
  const auto t0 = clock::now();
  b.started(0);
  b.ended(0, 2000, t0);  // slow
  b.started(1);
  b.ended(1, 100, t0);
  std::map<std::size_t, int> picks;
  for (std::uint64_t rnd = 0; rnd < 20; ++rnd) ++picks[b.first_pick(r, h, t0 + 1ms, rnd)];
  EXPECT_EQ(picks[1], 20);
  // b keeps serving (fresh samples) while a's 2000 ms, with no news of it,
  // decays below b's 100 ms after about 30 s: a is probed again.
  b.started(1);
  b.ended(1, 100, t0 + 40s);
  EXPECT_EQ(b.first_pick(r, h, t0 + 40s, 0), 0u);
}

TEST(balancer, a_slower_sample_is_taken_at_once_a_faster_one_blends_in) {
  balancer b(1);
  const auto t0 = clock::now();
  b.ended(0, 100, t0);
  b.ended(0, 1000, t0 + 1ms);
  EXPECT_NEAR(b.latency_score(0, t0 + 1ms), 1000, 1);
  b.ended(0, 100, t0 + 2ms);
  EXPECT_GT(b.latency_score(0, t0 + 2ms), 900);  // one fast sample does not undo a slow one
}

TEST(balancer, a_cooling_deployment_is_not_a_first_pick) {
  group_policy p;
  p.strategy = balance_strategy::latency;
  const route r = two_deployments(p);
  deployment_health h(2);
  h.retry_after(1, clock::now() + 10s);
  balancer b(2);
  for (std::uint64_t rnd = 0; rnd < 8; ++rnd) EXPECT_EQ(b.first_pick(r, h, clock::now(), rnd), 0u);
}

}  // namespace
}  // namespace llmgw
