#include "usage/record_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace llmgw::usage {
namespace {

bool push_status(record_queue& q, int status) {
  return q.try_push([status](request_record& r) { r.status = status; });
}

std::vector<int> drain(record_queue& q) {
  std::vector<int> seen;
  q.consume([&](request_record& r) { seen.push_back(r.status); });
  return seen;
}

TEST(record_queue, capacity_is_a_power_of_two) {
  EXPECT_EQ(record_queue(5).capacity(), 8u);
  EXPECT_EQ(record_queue(16).capacity(), 16u);
  EXPECT_EQ(record_queue(0).capacity(), 2u);
}

TEST(record_queue, records_come_out_in_order_across_the_wrap) {
  record_queue q(4);
  int next = 0;
  std::vector<int> seen;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(push_status(q, next++));
    for (int s : drain(q)) seen.push_back(s);
  }
  ASSERT_EQ(seen.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(record_queue, a_full_queue_refuses_and_counts_without_overwriting) {
  record_queue q(4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(push_status(q, i));
  EXPECT_FALSE(push_status(q, 99));
  EXPECT_FALSE(push_status(q, 100));
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(q.pending(), 4u);
  EXPECT_EQ(drain(q), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(push_status(q, 4));  // room again once consumed
  EXPECT_EQ(q.dropped(), 2u);
}

TEST(record_queue, the_watermark_callback_runs_once_per_crossing) {
  int wakes = 0;
  record_queue q(16, [&] { ++wakes; });  // watermark: a quarter, 4
  for (int i = 0; i < 3; ++i) push_status(q, i);
  EXPECT_EQ(wakes, 0);
  push_status(q, 3);
  EXPECT_EQ(wakes, 1);
  for (int i = 0; i < 8; ++i) push_status(q, i);
  EXPECT_EQ(wakes, 1);
  drain(q);
  for (int i = 0; i < 4; ++i) push_status(q, i);
  EXPECT_EQ(wakes, 2);
}

TEST(record_queue, grows_only_when_the_consumer_falls_behind) {
  record_queue q(1024);  // 16 blocks of 64
  EXPECT_EQ(q.capacity(), 1024u);
  EXPECT_EQ(q.blocks_made(), 0u);  // nothing until the first record
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(push_status(q, i));
    drain(q);
  }
  // 1,000 records, never more than 10 waiting: two blocks took turns.
  EXPECT_LE(q.blocks_made(), 2u);
  for (int i = 0; i < 1024 - 64; ++i) ASSERT_TRUE(push_status(q, i));
  EXPECT_GE(q.blocks_made(), 15u);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(record_queue, the_block_finished_last_is_filled_first) {
  record_queue q(1024);
  std::vector<const request_record*> slots;
  for (int i = 0; i < 3 * 64; ++i) q.try_push([&](request_record& r) { slots.push_back(&r); });
  drain(q);  // all three blocks read to the end and handed back
  const request_record* reused = nullptr;
  q.try_push([&](request_record& r) { reused = &r; });
  EXPECT_EQ(reused, slots[2 * 64]);  // the third block's first slot, still warm
}

TEST(record_queue, one_producer_and_one_consumer_thread_keep_order_and_lose_nothing) {
  record_queue q(64);
  constexpr int k_records = 200'000;
  std::atomic<bool> give_up{false};  // a lost record fails the test instead of hanging it
  std::thread producer([&] {
    for (int i = 0; i < k_records && !give_up; ++i) {
      while (!q.try_push([i](request_record& r) {
        r.status = i;
        r.request_id = "req_" + std::to_string(i);
      })) {
        if (give_up) return;
        std::this_thread::yield();
      }
    }
  });
  // A lost record stops all progress: give up after 10 s without any (not
  // after a total time, which a loaded machine may need to get through).
  auto last_progress = std::chrono::steady_clock::now();
  int expected = 0;
  bool in_order = true;
  while (expected < k_records && std::chrono::steady_clock::now() - last_progress < std::chrono::seconds(10)) {
    const std::size_t n = q.consume([&](request_record& r) {
      in_order = in_order && r.status == expected && r.request_id == "req_" + std::to_string(expected);
      ++expected;
    });
    if (n > 0) {
      last_progress = std::chrono::steady_clock::now();
    } else {
      std::this_thread::yield();
    }
  }
  give_up = true;
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, k_records);
  EXPECT_EQ(q.pending(), 0u);
}

}  // namespace
}  // namespace llmgw::usage
