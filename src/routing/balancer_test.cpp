#include "routing/balancer.hpp"

#include <gtest/gtest.h>

#include <cmath>
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

route three_deployments(const group_policy& p) {
  route r;
  r.policy = &p;
  for (std::size_t d = 0; d < 3; ++d) r.attempts.push_back({nullptr, "m", 1, false, nullptr, d});
  return r;
}

// n samples of `ms` for deployment d, ending at `at`.
void measure(balancer& b, std::size_t d, double ms, int n, clock::time_point at) {
  for (int i = 0; i < n; ++i) {
    b.started(d);
    b.ended(d, ms, at);
  }
}

group_policy cost_policy(std::optional<std::chrono::milliseconds> target) {
  group_policy p;
  p.strategy = balance_strategy::cost;
  p.latency_target = target;
  return p;
}

TEST(balancer_p95, is_the_nearest_rank_of_the_last_64_samples) {
  balancer b(2);
  EXPECT_TRUE(std::isnan(b.p95_ttft_ms(0)));
  EXPECT_TRUE(std::isnan(b.p95_ttft_ms(7)));
  const auto t0 = clock::now();
  for (int i = 1; i <= 20; ++i) b.ended(0, i * 10, t0);
  // ceil(0.95 × 20) = the 19th smallest.
  EXPECT_EQ(b.p95_ttft_ms(0), 190);
  // 64 samples of 10 ms push the older ones out of the ring…
  measure(b, 0, 10, 64, t0);
  EXPECT_EQ(b.p95_ttft_ms(0), 10);
  // …and 4 slow ones of 64 (more than 5%) make the p95 slow; 3 do not.
  measure(b, 0, 900, 3, t0);
  EXPECT_EQ(b.p95_ttft_ms(0), 10);
  measure(b, 0, 900, 1, t0);
  EXPECT_EQ(b.p95_ttft_ms(0), 900);
  EXPECT_TRUE(std::isnan(b.p95_ttft_ms(1)));
}

TEST(balancer_p95, samples_after_a_long_gap_start_afresh) {
  balancer b(1);
  const auto t0 = clock::now();
  measure(b, 0, 2000, 10, t0);
  EXPECT_TRUE(b.measured(0, t0 + balancer::k_ttft_window));
  EXPECT_FALSE(b.measured(0, t0 + balancer::k_ttft_window + 1ms));
  EXPECT_EQ(b.p95_ttft_ms(0), 2000);  // still there for whoever asks without a time
  measure(b, 0, 100, 1, t0 + balancer::k_ttft_window + 1ms);
  EXPECT_EQ(b.p95_ttft_ms(0), 100) << "the old slow samples were dropped";
}

TEST(balancer_cost, the_cheapest_deployment_is_chosen) {
  const group_policy p = cost_policy(1500ms);
  const route r = three_deployments(p);
  deployment_health h(3);
  balancer b(3);
  b.set_price(0, 12.5);
  b.set_price(1, 0.75);
  b.set_price(2, 3);
  const auto t0 = clock::now();
  for (std::size_t d = 0; d < 3; ++d) measure(b, d, 200, 5, t0);
  for (std::uint64_t rnd = 0; rnd < 16; ++rnd) EXPECT_EQ(b.first_pick(r, h, t0, rnd), 1u);
  // An unpriced deployment comes after every priced one.
  balancer unpriced(3);
  unpriced.set_price(0, 40);
  for (std::uint64_t rnd = 0; rnd < 16; ++rnd) EXPECT_EQ(unpriced.first_pick(r, h, t0, rnd), 0u);
}

TEST(balancer_cost, equal_prices_share_by_weight) {
  const group_policy p = cost_policy(std::nullopt);
  route r = three_deployments(p);
  r.attempts[0].weight = 3;
  r.attempts[1].weight = 1;
  r.attempts[2].weight = 0;  // takes no first pick
  deployment_health h(3);
  balancer b(3);
  for (std::size_t d = 0; d < 3; ++d) b.set_price(d, 1);
  b.set_price(2, 0.5);
  std::map<std::size_t, int> picks;
  for (std::uint64_t rnd = 0; rnd < 400; ++rnd) ++picks[b.first_pick(r, h, clock::now(), rnd)];
  EXPECT_EQ(picks[0], 300);
  EXPECT_EQ(picks[1], 100);
  EXPECT_EQ(picks[2], 0);
}

TEST(balancer_cost, a_cheap_deployment_slower_than_the_target_loses_to_the_next_cheapest) {
  const group_policy p = cost_policy(500ms);
  const route r = three_deployments(p);
  deployment_health h(3);
  balancer b(3);
  b.set_price(0, 1);   // cheapest, slow
  b.set_price(1, 2);   // next, fast
  b.set_price(2, 10);  // dearest, fastest
  const auto t0 = clock::now();
  measure(b, 0, 900, 20, t0);
  measure(b, 1, 300, 20, t0);
  measure(b, 2, 100, 20, t0);
  for (std::uint64_t rnd = 0; rnd < 16; ++rnd) EXPECT_EQ(b.first_pick(r, h, t0, rnd), 1u);
  // Without a target the slow one's price wins.
  const group_policy any = cost_policy(std::nullopt);
  const route r_any = three_deployments(any);
  EXPECT_EQ(b.first_pick(r_any, h, t0, 0), 0u);
}

TEST(balancer_cost, an_unmeasured_deployment_meets_the_target_one_request_at_a_time) {
  const group_policy p = cost_policy(500ms);
  const route r = three_deployments(p);
  deployment_health h(3);
  balancer b(3);
  b.set_price(0, 1);  // never measured
  b.set_price(1, 2);
  b.set_price(2, 3);
  const auto t0 = clock::now();
  measure(b, 1, 300, 5, t0);
  EXPECT_EQ(b.first_pick(r, h, t0, 0), 0u);
  b.started(0);  // its probe is on its way: the next request goes to the next cheapest
  EXPECT_EQ(b.first_pick(r, h, t0, 0), 1u);
  b.ended(0, 200, t0);
  EXPECT_EQ(b.first_pick(r, h, t0, 0), 0u);
  // A slow one whose samples are older than the window is probed again.
  measure(b, 0, 900, 64, t0);
  EXPECT_EQ(b.first_pick(r, h, t0, 0), 1u);
  measure(b, 1, 300, 1, t0 + 40s);
  EXPECT_EQ(b.first_pick(r, h, t0 + 40s, 0), 0u);
}

TEST(balancer_cost, when_none_meets_the_target_the_fastest_is_chosen) {
  const group_policy p = cost_policy(500ms);
  const route r = three_deployments(p);
  deployment_health h(3);
  balancer b(3);
  b.set_price(0, 1);
  b.set_price(1, 2);
  b.set_price(2, 3);
  const auto t0 = clock::now();
  measure(b, 0, 3000, 10, t0);
  measure(b, 1, 900, 10, t0);
  measure(b, 2, 1200, 10, t0);
  for (std::uint64_t rnd = 0; rnd < 16; ++rnd) EXPECT_EQ(b.first_pick(r, h, t0, rnd), 1u);
  // A cooling deployment is not a first pick, however fast.
  h.retry_after(1, t0 + 10s);
  EXPECT_EQ(b.first_pick(r, h, t0, 0), 2u);
}

}  // namespace
}  // namespace llmgw
