#include "http/call_deadline.hpp"

#include <gtest/gtest.h>

namespace llmgw::http {
namespace {

using namespace std::chrono_literals;
using clock = call_deadline::clock;

const clock::time_point t0 = clock::time_point(1000s);

TEST(call_deadline, a_step_far_from_the_deadline_keeps_its_own_timeout) {
  call_deadline d(t0, 1500ms);
  auto e = d.for_step(t0, 1000ms);
  EXPECT_EQ(e.at, t0 + 1000ms);
  EXPECT_FALSE(e.is_deadline);
}

TEST(call_deadline, a_step_that_would_pass_the_deadline_ends_at_it) {
  call_deadline d(t0, 1500ms);
  // The idle timer restarts on every read; the deadline does not.
  auto e = d.for_step(t0 + 1200ms, 1000ms);
  EXPECT_EQ(e.at, t0 + 1500ms);
  EXPECT_TRUE(e.is_deadline);
}

TEST(call_deadline, a_trickle_of_reads_cannot_move_the_deadline) {
  call_deadline d(t0, 1500ms);
  clock::time_point last{};
  for (int i = 0; i < 100; ++i) {  // one byte every 200 ms for 20 s
    auto e = d.for_step(t0 + i * 200ms, 120'000ms);
    EXPECT_LE(e.at, t0 + 1500ms);
    EXPECT_TRUE(e.is_deadline);
    last = e.at;
  }
  EXPECT_EQ(last, t0 + 1500ms);
}

TEST(call_deadline, a_step_ending_exactly_at_the_deadline_is_the_total_timeout) {
  call_deadline d(t0, 1500ms);
  auto e = d.for_step(t0 + 500ms, 1000ms);
  EXPECT_EQ(e.at, t0 + 1500ms);
  EXPECT_TRUE(e.is_deadline);
}

TEST(call_deadline, a_step_after_the_deadline_expires_at_once) {
  call_deadline d(t0, 1500ms);
  auto e = d.for_step(t0 + 2000ms, 1000ms);
  EXPECT_EQ(e.at, t0 + 1500ms);  // in the past: the next read times out immediately
  EXPECT_TRUE(e.is_deadline);
}

TEST(call_deadline, without_a_deadline_every_step_gets_its_own_timeout) {
  call_deadline d;
  auto e = d.for_step(t0, 120'000ms);
  EXPECT_EQ(e.at, t0 + 120'000ms);
  EXPECT_FALSE(e.is_deadline);
}

TEST(call_deadline, saturates_instead_of_overflowing) {
  const auto late = clock::time_point::max() - 1s;
  call_deadline d(late, 24h);
  EXPECT_EQ(d.at(), clock::time_point::max());
  auto e = d.for_step(late, 48h);
  EXPECT_EQ(e.at, clock::time_point::max());
  EXPECT_FALSE(e.is_deadline);
}

}  // namespace
}  // namespace llmgw::http
