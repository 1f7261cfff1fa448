#include "limits/memory_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace llmgw::limits {
namespace {

using namespace std::chrono_literals;
using clock = token_bucket::clock;

charge rpm(double amount) { return {"{key_a}:rpm", "key:rpm", unit::requests, amount, 1}; }
charge tpm(double amount, double cost) { return {"{key_a}:tpm", "key:tpm", unit::tokens, amount, cost}; }

TEST(memory_limiter, a_full_bucket_admits_its_amount_then_refuses) {
  memory_limiter l;
  const auto t0 = clock::now();
  const std::vector<charge> c{rpm(3)};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.take_now(c, t0).admitted) << i;
  const decision d = l.take_now(c, t0);
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.never_fits);
  EXPECT_EQ(d.refused, 0u);
  EXPECT_EQ(d.retry_after, 20000ms);  // one request of 3 per minute refills in 20 s
}

TEST(memory_limiter, refill_is_continuous) {
  memory_limiter l;
  const auto t0 = clock::now();
  const std::vector<charge> c{rpm(60)};  // one per second
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(l.take_now(c, t0).admitted);
  EXPECT_FALSE(l.take_now(c, t0 + 999ms).admitted);
  EXPECT_TRUE(l.take_now(c, t0 + 1000ms).admitted);
  EXPECT_FALSE(l.take_now(c, t0 + 1500ms).admitted);
  // Never above the amount, however long it rested.
  const auto later = t0 + 1h;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(l.take_now(c, later).admitted);
  EXPECT_FALSE(l.take_now(c, later).admitted);
}

TEST(memory_limiter, all_or_nothing_a_refused_dimension_takes_nothing_from_the_others) {
  memory_limiter l;
  const auto t0 = clock::now();
  ASSERT_TRUE(l.take_now(std::vector<charge>{tpm(100, 90)}, t0).admitted);
  // rpm has room, tpm does not: the request is refused and rpm keeps its 2.
  const std::vector<charge> both{rpm(2), tpm(100, 50)};
  const decision d = l.take_now(both, t0);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.refused, 1u);
  EXPECT_EQ(d.states[0].remaining, 2);
  EXPECT_TRUE(l.take_now(std::vector<charge>{rpm(2)}, t0).admitted);
  EXPECT_TRUE(l.take_now(std::vector<charge>{rpm(2)}, t0).admitted);
}

charge spend(double usd, double cost) {
  charge c{"{key_a}:budget:d20261203", "key:budget:day", unit::spend, usd, cost};
  c.window = 3600s;
  return c;
}

TEST(memory_limiter, a_budget_admits_until_spent_and_is_trued_up_to_the_real_cost) {
  memory_limiter l;
  const auto t0 = clock::now();
  ASSERT_TRUE(l.take_now(std::vector<charge>{spend(1.0, 0.4)}, t0).admitted);
  ASSERT_TRUE(l.take_now(std::vector<charge>{spend(1.0, 0.4)}, t0).admitted);
  // 0.8 reserved: a third 0.4 would overshoot.
  const decision refused = l.take_now(std::vector<charge>{spend(1.0, 0.4)}, t0);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 3600s);  // not before the period ends
  EXPECT_NEAR(refused.states[0].remaining, 0.2, 1e-9);
  // The two cost 0.1 each: 0.6 comes back, and time alone brings nothing.
  l.adjust_at(spend(1.0, 0.4), -0.3, t0);
  l.adjust_at(spend(1.0, 0.4), -0.3, t0);
  EXPECT_TRUE(l.take_now(std::vector<charge>{spend(1.0, 0.4)}, t0 + 10min).admitted);
  // Spent to the cent: even a request that cannot be priced is refused.
  l.adjust_at(spend(1.0, 0.4), 0.4, t0);
  EXPECT_FALSE(l.take_now(std::vector<charge>{spend(1.0, 0)}, t0).admitted);
}

TEST(memory_limiter, a_cost_above_the_whole_amount_never_fits) {
  memory_limiter l;
  const decision d = l.take_now(std::vector<charge>{rpm(10), tpm(100, 101)}, clock::now());
  EXPECT_FALSE(d.admitted);
  EXPECT_TRUE(d.never_fits);
  EXPECT_EQ(d.refused, 1u);
}

TEST(memory_limiter, adjust_refunds_and_charges_a_reservation) {
  memory_limiter l;
  const auto t0 = clock::now();
  const charge t = tpm(1000, 800);
  ASSERT_TRUE(l.take_now(std::vector<charge>{t}, t0).admitted);  // 200 left
  l.adjust_at(t, -700, t0);                                      // used 100 of the 800 reserved: 900 left
  EXPECT_NEAR(l.take_now(std::vector<charge>{tpm(1000, 0)}, t0).states[0].remaining, 900, 1e-6);
  l.adjust_at(t, 1500, t0);  // the answer was far longer: a debt of 600
  const decision d = l.take_now(std::vector<charge>{tpm(1000, 1)}, t0);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, 36060ms);  // 601 tokens at 1000/min
  // A refund never lifts the bucket above its amount.
  l.adjust_at(t, -1'000'000, t0);
  EXPECT_NEAR(l.take_now(std::vector<charge>{tpm(1000, 0)}, t0).states[0].remaining, 1000, 1e-6);
}

TEST(memory_limiter, parallel_slots_are_taken_and_released) {
  memory_limiter l;
  const charge p{"{key_a}:parallel", "key:max_parallel", unit::parallel, 2, 1};
  const std::vector<charge> c{p};
  EXPECT_TRUE(l.take_now(c, clock::now()).admitted);
  EXPECT_TRUE(l.take_now(c, clock::now()).admitted);
  EXPECT_FALSE(l.take_now(c, clock::now()).admitted);
  l.release(p);
  EXPECT_TRUE(l.take_now(c, clock::now()).admitted);
}

TEST(memory_limiter, reports_remaining_and_time_to_full) {
  memory_limiter l;
  const auto t0 = clock::now();
  const decision d = l.take_now(std::vector<charge>{rpm(60), tpm(6000, 600)}, t0);
  ASSERT_TRUE(d.admitted);
  EXPECT_EQ(d.states[0].remaining, 59);
  EXPECT_EQ(d.states[0].reset, 1000ms);
  EXPECT_EQ(d.states[1].remaining, 5400);
  EXPECT_EQ(d.states[1].reset, 6000ms);
}

// Workers share one limiter: threads taking from one bucket at once never
// get more than its amount between them.
TEST(memory_limiter, threads_together_never_exceed_the_amount) {
  memory_limiter l;
  const auto t0 = clock::now();
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      const std::vector<charge> c{{"{key_b}:rpm", "key:rpm", unit::requests, 1000, 1},
                                  {"{key_b}:tpm", "key:tpm", unit::tokens, 100000, 10}};
      for (int i = 0; i < 1000; ++i) {
        if (l.take_now(c, t0).admitted) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1000);
}

}  // namespace
}  // namespace llmgw::limits
