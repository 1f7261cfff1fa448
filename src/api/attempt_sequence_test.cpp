#include "api/attempt_sequence.hpp"

#include <gtest/gtest.h>

namespace llmgw::api {
namespace {

using namespace std::chrono_literals;
using clock = attempt_sequence::clock;

route three(const group_policy* p) {
  route r;
  r.policy = p;
  for (std::size_t i = 0; i < 3; ++i) r.attempts.push_back({nullptr, "m", 1, false, nullptr, i});
  return r;
}

TEST(attempt_sequence, without_a_policy_each_deployment_once_in_order) {
  const route r = three(nullptr);
  deployment_health h(3);
  balancer b(3);
  attempt_sequence s(r, 2, h, b, clock::now(), 0);
  EXPECT_EQ(s.next(clock::now())->index, 0u);
  EXPECT_EQ(s.next(clock::now())->index, 1u);
  EXPECT_FALSE(s.next(clock::now()));  // upstream.max_attempts: 2
}

TEST(attempt_sequence, a_policy_asks_again_after_a_backoff_and_skips_what_is_excluded) {
  group_policy p;
  p.max_attempts = 5;
  route r = three(&p);
  r.attempts.resize(2);
  deployment_health h(2);
  balancer b(2);
  const auto t0 = clock::now();
  attempt_sequence s(r, 1, h, b, t0, 42);
  const auto first = s.next(t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->wait, 0ms);
  const auto second = s.next(t0);
  ASSERT_TRUE(second);
  EXPECT_NE(second->index, first->index);  // the one not asked yet
  EXPECT_EQ(second->wait, 0ms);
  s.exclude(second->index);
  const auto third = s.next(t0);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->index, first->index);
  EXPECT_GE(third->wait, 50ms);  // 100 ms ± 50%
  EXPECT_LT(third->wait, 150ms);
  const auto fourth = s.next(t0);
  EXPECT_GE(fourth->wait, 100ms);  // 200 ms ± 50%
}

TEST(attempt_sequence, the_retry_budget_and_a_retry_after_beyond_it_end_the_sequence) {
  group_policy p;
  p.max_attempts = 10;
  p.retry_budget = 1000ms;
  route r = three(&p);
  r.attempts.resize(1);
  deployment_health h(1);
  balancer b(1);
  const auto t0 = clock::now();
  attempt_sequence s(r, 1, h, b, t0, 1);
  ASSERT_TRUE(s.next(t0));
  h.retry_after(0, t0 + 5s);  // longer than what is left of the budget
  EXPECT_FALSE(s.next(t0 + 10ms));
  attempt_sequence late(r, 1, h, b, t0, 1);
  EXPECT_TRUE(late.next(t0 + 10ms));  // a first attempt is made whatever the cooldown
  EXPECT_FALSE(late.next(t0 + 1001ms));
}

TEST(attempt_sequence, a_hedge_goes_to_another_ready_deployment_and_counts_as_an_attempt) {
  group_policy p;
  p.max_attempts = 2;
  const route r = three(&p);
  deployment_health h(3);
  balancer b(3);
  const auto t0 = clock::now();
  attempt_sequence s(r, 1, h, b, t0, 0);
  const auto first = s.next(t0);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->index, 0u);                              // weighted: the route's own first
  h.failed(1, cooldown_policy{1, 10'000ms, 10'000ms}, t0);  // deployment 1 rests
  const auto hedge = s.hedge_pick(first->index, t0);
  ASSERT_TRUE(hedge);
  EXPECT_EQ(*hedge, 2u);
  EXPECT_FALSE(s.hedge_pick(first->index, t0));  // max_attempts: 2, both made
  EXPECT_FALSE(s.next(t0));
}

TEST(attempt_sequence, no_hedge_without_a_policy_or_another_deployment) {
  const route plain = three(nullptr);
  deployment_health h(3);
  balancer b(3);
  attempt_sequence s(plain, 3, h, b, clock::now(), 0);
  EXPECT_FALSE(s.hedge_pick(s.next(clock::now())->index, clock::now()));
  group_policy p;
  route lone = three(&p);
  lone.attempts.resize(1);
  attempt_sequence single(lone, 1, h, b, clock::now(), 0);
  EXPECT_FALSE(single.hedge_pick(single.next(clock::now())->index, clock::now()));
}

}  // namespace
}  // namespace llmgw::api
