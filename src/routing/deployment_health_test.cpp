#include "routing/deployment_health.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// Sharing between instances (REDIS_URL): what Redis says is merged into the
// local atomics, and what happens here is told to the events.

struct recorded_events : health_events {
  std::vector<std::string> seen;
  void failed(std::size_t d, const cooldown_policy& p) override {
    seen.push_back("failed " + std::to_string(d) + " " + std::to_string(p.failures));
  }
  void retry_after(std::size_t d, std::chrono::milliseconds wait) override {
    // Whole seconds: the wait is measured from a clock read inside.
    seen.push_back("retry_after " + std::to_string(d) + " " + std::to_string((wait.count() + 500) / 1000) + "s");
  }
  void probe_succeeded(std::size_t d) override { seen.push_back("probe_succeeded " + std::to_string(d)); }
};

TEST(deployment_health, a_rest_shared_by_another_instance_keeps_it_out_then_only_the_probe_holder_asks) {
  deployment_health h(2);
  const auto t0 = clock::now();
  // Another instance tripped it: this process saw no failure.
  h.merge(0, {shared_state::cooling, 500ms}, t0);
  EXPECT_FALSE(h.ready(0, t0));
  EXPECT_FALSE(h.ready(0, t0 + 450ms));
  EXPECT_TRUE(h.ready(1, t0));
  EXPECT_FALSE(h.wants_probe(0));  // still resting: no probe wanted yet
  // The rest has ended, but the probe is nobody's yet: a request finding it
  // makes this process ask for it at the next poll (once).
  const auto later = t0 + 600ms;
  EXPECT_FALSE(h.ready(0, later));
  EXPECT_TRUE(h.wants_probe(0));
  EXPECT_FALSE(h.wants_probe(0));
  h.merge(0, {shared_state::probe_elsewhere, 0ms}, later);
  EXPECT_FALSE(h.ready(0, later));
  EXPECT_TRUE(h.wants_probe(0));  // still wanted, in case the other instance's claim lapses
  // Redis gives it to this process: one request probes, the others wait.
  h.merge(0, {shared_state::probe_ours, 0ms}, later);
  EXPECT_TRUE(h.ready(0, later));
  h.asking(0, later);
  EXPECT_FALSE(h.ready(0, later));
  EXPECT_TRUE(h.wants_probe(0));  // its probe is out: the claim is renewed
  recorded_events events;
  h.publish_to(&events);
  h.succeeded(0);
  EXPECT_TRUE(h.ready(0, later));
  EXPECT_EQ(events.seen, std::vector<std::string>{"probe_succeeded 0"});
  h.succeeded(0);  // an ordinary success tells nobody
  EXPECT_EQ(events.seen.size(), 1u);
}

TEST(deployment_health, the_later_of_the_local_and_the_shared_rest_wins) {
  deployment_health h(1);
  const auto t0 = clock::now();
  h.retry_after(0, t0 + 2s);
  h.merge(0, {shared_state::cooling, 500ms}, t0);
  EXPECT_FALSE(h.ready(0, t0 + 1900ms));
  EXPECT_GE(h.ready_at(0), t0 + 1999ms);
  h.merge(0, {shared_state::cooling, 5s}, t0);
  EXPECT_FALSE(h.ready(0, t0 + 4900ms));
  EXPECT_GE(h.ready_at(0), t0 + 4999ms);
}

TEST(deployment_health, healthy_elsewhere_ends_a_local_rest_that_is_over_but_not_one_still_running) {
  deployment_health h(1);
  const cooldown_policy p{.failures = 1, .window = 1000ms, .duration = 500ms};
  const auto t0 = clock::now();
  h.failed(0, p, t0);
  // Redis has not heard of the failure yet: the local rest stands.
  h.merge(0, {shared_state::healthy, 0ms}, t0 + 100ms);
  EXPECT_FALSE(h.ready(0, t0 + 100ms));
  EXPECT_FALSE(h.ready(0, t0 + 400ms));
  // Over, and another instance's probe closed it: no probe of this process's own.
  const auto later = t0 + 600ms;
  h.merge(0, {shared_state::healthy, 0ms}, later);
  h.asking(0, later);
  EXPECT_TRUE(h.ready(0, later));
}

TEST(deployment_health, when_redis_cannot_be_asked_each_process_probes_on_its_own) {
  deployment_health h(1);
  const auto t0 = clock::now();
  h.merge(0, {shared_state::cooling, 100ms}, t0);
  h.merge(0, {shared_state::probe_elsewhere, 0ms}, t0 + 200ms);
  EXPECT_FALSE(h.ready(0, t0 + 200ms));
  h.unshare();
  EXPECT_TRUE(h.ready(0, t0 + 200ms));
  h.asking(0, t0 + 200ms);
  EXPECT_FALSE(h.ready(0, t0 + 200ms));  // still one probe at a time here
}

TEST(deployment_health, failures_and_retry_afters_are_told_as_they_happen) {
  deployment_health h(2);
  recorded_events events;
  h.publish_to(&events);
  const cooldown_policy p{.failures = 3, .window = 1000ms, .duration = 500ms};
  const auto t0 = clock::now();
  h.failed(1, p, t0);
  h.retry_after(0, clock::now() + 2s);
  h.failed(7, p, t0);  // outside any group: nothing
  EXPECT_EQ(events.seen, (std::vector<std::string>{"failed 1 3", "retry_after 0 2s"}));
  h.publish_to(nullptr);
  h.failed(1, p, t0);
  EXPECT_EQ(events.seen.size(), 2u);
}

}  // namespace
}  // namespace llmgw
