#include "routing/deployment_health.hpp"

#include <gtest/gtest.h>

namespace llmgw {
namespace {

using namespace std::chrono_literals;
using clock = deployment_health::clock;

TEST(deployment_health, failures_within_the_window_rest_it_then_one_probe_decides) {
  deployment_health h(2);
  const cooldown_policy p{.failures = 2, .window = 1000ms, .duration = 500ms};
  const auto t0 = clock::now();
  h.failed(0, p, t0);
  EXPECT_TRUE(h.ready(0, t0));  // one failure is not enough
  h.failed(0, p, t0 + 100ms);
  EXPECT_FALSE(h.ready(0, t0 + 100ms));
  EXPECT_TRUE(h.ready(1, t0 + 100ms));  // the other is untouched
  EXPECT_EQ(h.ready_at(0), t0 + 600ms - (t0 + 600ms).time_since_epoch() % 1ms);
  // The cooldown ends: one request probes, the next waits for its outcome.
  const auto later = t0 + 700ms;
  EXPECT_TRUE(h.ready(0, later));
  h.asking(0, later);
  EXPECT_FALSE(h.ready(0, later));
  h.succeeded(0);
  EXPECT_TRUE(h.ready(0, later));
}

TEST(deployment_health, failures_older_than_the_window_do_not_count_and_a_failed_probe_rests_it_again) {
  deployment_health h(1);
  const cooldown_policy p{.failures = 2, .window = 1000ms, .duration = 500ms};
  const auto t0 = clock::now();
  h.failed(0, p, t0);
  h.failed(0, p, t0 + 1500ms);
  EXPECT_TRUE(h.ready(0, t0 + 1500ms));
  h.failed(0, p, t0 + 1600ms);
  EXPECT_FALSE(h.ready(0, t0 + 1600ms));
  const auto probe_time = t0 + 2200ms;
  h.asking(0, probe_time);
  h.failed(0, p, probe_time);  // one failure of the probe is enough
  EXPECT_FALSE(h.ready(0, probe_time + 100ms));
  // A probe whose client left hands the probe on.
  const auto next = probe_time + 600ms;
  h.asking(0, next);
  EXPECT_FALSE(h.ready(0, next));
  h.abandoned(0);
  EXPECT_TRUE(h.ready(0, next));
}

TEST(deployment_health, retry_after_holds_it_until_then) {
  deployment_health h(1);
  const auto t0 = clock::now();
  h.retry_after(0, t0 + 2s);
  EXPECT_FALSE(h.ready(0, t0 + 1900ms));
  EXPECT_TRUE(h.ready(0, t0 + 2001ms));
  EXPECT_TRUE(h.ready(7, t0));  // outside any group: always ready
}

}  // namespace
}  // namespace llmgw
