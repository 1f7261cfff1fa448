#include "core/string_pool.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace llmgw {
namespace {

TEST(string_pool, reuses_a_returned_buffer) {
  string_pool pool;
  const char* data = nullptr;
  {
    auto s = pool.take();
    s->assign(1000, 'x');
    data = s->data();
  }
  EXPECT_EQ(pool.kept_strings(), 1u);
  EXPECT_GE(pool.kept_bytes(), 1000u);
  auto again = pool.take();
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(again->data(), data);  // the same allocation, not a new one
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

// A lease takes its string on first use: one a request never touches (a
// stream's buffers on a JSON answer) leaves the pool as it was.
TEST(string_pool, a_lease_takes_its_string_on_first_use_only) {
  string_pool pool;
  { pool.take()->assign(1000, 'x'); }
  ASSERT_EQ(pool.kept_strings(), 1u);
  {
    auto unused = pool.take();
    auto moved = std::move(unused);
    EXPECT_EQ(pool.kept_strings(), 1u);  // not taken by take() nor by the move
  }
  EXPECT_EQ(pool.kept_strings(), 1u);  // nothing given back twice either
  {
    auto used = pool.take();
    EXPECT_TRUE(used->empty());
    EXPECT_EQ(pool.kept_strings(), 0u);
    auto moved = std::move(used);
    EXPECT_GE(moved->capacity(), 1000u);  // the taken string moved with the lease
  }
  EXPECT_EQ(pool.kept_strings(), 1u);
}

TEST(string_pool, a_released_lease_gives_its_string_back_at_once_and_only_once) {
  string_pool pool;
  {
    auto s = pool.take();
    s->assign(1000, 'x');
    s.release();
    EXPECT_EQ(pool.kept_strings(), 1u);  // back now, not when the lease ends
    EXPECT_GE(pool.kept_bytes(), 1000u);
    EXPECT_TRUE(s->empty());
    s->assign(2000, 'y');  // written after its release: its own string, freed with it
  }
  EXPECT_EQ(pool.kept_strings(), 1u);
  EXPECT_LT(pool.kept_bytes(), 2000u);
}

TEST(string_pool, frees_a_string_larger_than_the_per_string_cap) {
  string_pool pool(4096, 1 << 20);
  {
    auto s = pool.take();
    s->assign(5000, 'x');
  }
  EXPECT_EQ(pool.kept_strings(), 0u);
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(string_pool, keeps_at_most_the_total_byte_bound) {
  // Each string alone is under the per-string cap; together they are not.
  constexpr std::size_t per_string = 100'000;
  constexpr std::size_t total = 350'000;
  string_pool pool(per_string * 2, total);
  {
    std::vector<string_pool::lease> leases;
    for (int i = 0; i < 10; ++i) {
      leases.push_back(pool.take());
      leases.back()->reserve(per_string);
    }
  }
  EXPECT_LE(pool.kept_bytes(), total);
  EXPECT_EQ(pool.kept_strings(), 3u);
  // Taking them all out again gives every kept byte back to the count.
  std::vector<string_pool::lease> again;
  for (int i = 0; i < 3; ++i) {
    again.push_back(pool.take());
    again.back()->clear();  // taken on first use
  }
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(string_pool, the_default_bounds_hold_after_a_burst_of_large_buffers) {
  // A burst like the one in the issue: a thousand requests each grew their
  // buffer to just under the per-string cap.
  string_pool pool;
  {
    std::vector<string_pool::lease> leases;
    for (int i = 0; i < 1000; ++i) {
      leases.push_back(pool.take());
      leases.back()->reserve(string_pool::default_max_string_capacity - 64);
    }
  }
  EXPECT_LE(pool.kept_bytes(), string_pool::default_max_kept_bytes);
  EXPECT_GT(pool.kept_strings(), 0u);
}

TEST(string_pool, small_strings_cost_no_kept_bytes) {
  string_pool pool(1 << 20, 0);  // keeps nothing on the heap
  {
    auto s = pool.take();
    s->assign("hi");
  }
  EXPECT_EQ(pool.kept_strings(), 1u);
  EXPECT_EQ(pool.kept_bytes(), 0u);
  {
    auto s = pool.take();
    s->assign(1000, 'x');
  }
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

}  // namespace
}  // namespace llmgw
