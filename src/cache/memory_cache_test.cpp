#include "cache/memory_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace llmgw::cache {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const cached_answer> answer(std::string text, std::size_t pad = 0) {
  auto a = std::make_shared<cached_answer>();
  a->model = "m";
  a->completion.content = std::move(text);
  a->json_body.assign(pad, 'x');
  return a;
}

struct fake_clock {
  memory_cache::clock::time_point now{};
  std::function<memory_cache::clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST(memory_cache, stores_finds_and_reports_age) {
  fake_clock clock;
  memory_cache c(1 << 20, clock.fn());
  const cache_key k{1, 2};
  EXPECT_FALSE(c.find(k));
  c.put(k, answer("hi"), 10s);
  clock.now += 3s;
  const auto hit = c.find(k);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->answer->completion.content, "hi");
  EXPECT_EQ(hit->age, 3s);
  EXPECT_FALSE(c.find(cache_key{1, 3}));
}

TEST(memory_cache, entries_expire_after_their_ttl) {
  fake_clock clock;
  memory_cache c(1 << 20, clock.fn());
  c.put({1, 1}, answer("short"), 1s);
  c.put({2, 2}, answer("long"), 100s);
  clock.now += 1s;
  EXPECT_FALSE(c.find({1, 1}));
  EXPECT_TRUE(c.find({2, 2}));
  EXPECT_EQ(c.entries(), 1u);  // the expired one left when looked up
}

TEST(memory_cache, stays_within_its_bytes_evicting_the_least_recently_used) {
  // 16 shards of 64 KiB; keys with the same high word land in one shard.
  memory_cache c(16 * 64 * 1024);
  const std::size_t pad = 20 * 1024;
  c.put({0, 1}, answer("a", pad), 60s);
  c.put({0, 2}, answer("b", pad), 60s);
  c.put({0, 3}, answer("c", pad), 60s);
  ASSERT_TRUE(c.find({0, 1}));  // 1 is now the most recently used
  c.put({0, 4}, answer("d", pad), 60s);
  EXPECT_TRUE(c.find({0, 1}));
  EXPECT_FALSE(c.find({0, 2})) << "the least recently used should have gone";
  EXPECT_TRUE(c.find({0, 3}));
  EXPECT_TRUE(c.find({0, 4}));
  EXPECT_LE(c.bytes(), 16u * 64 * 1024);
  // Larger than a shard: not stored at all.
  c.put({0, 5}, answer("huge", 100 * 1024), 60s);
  EXPECT_FALSE(c.find({0, 5}));
}

TEST(memory_cache, replacing_a_key_keeps_one_entry) {
  memory_cache c(1 << 20);
  c.put({7, 7}, answer("one"), 60s);
  const std::size_t bytes = c.bytes();
  c.put({7, 7}, answer("two"), 60s);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), bytes);
  EXPECT_EQ(*c.find({7, 7})->answer->completion.content, "two");
}

TEST(memory_cache, many_threads_at_once) {
  memory_cache c(1 << 22);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (std::uint64_t i = 0; i < 2000; ++i) {
        const cache_key k{i, i % 64};
        if (!c.find(k)) c.put(k, answer(std::to_string(t)), 60s);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(c.bytes(), std::size_t{1} << 22);
  EXPECT_GT(c.entries(), 0u);
}

// What a lookup costs: printed, and bounded loosely (sanitizer builds are slow).
TEST(memory_cache, a_lookup_costs_little) {
  memory_cache c(64 << 20);
  constexpr std::uint64_t k_entries = 10'000;
  for (std::uint64_t i = 0; i < k_entries; ++i) c.put({i * 0x9E3779B97F4A7C15ull, i}, answer("x"), 60s);
  constexpr int k_lookups = 200'000;
  std::size_t found = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < k_lookups; ++i) {
    const std::uint64_t j = static_cast<std::uint64_t>(i) % k_entries;
    found += c.find({j * 0x9E3779B97F4A7C15ull, j}).has_value();
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / k_lookups;
  EXPECT_EQ(found, static_cast<std::size_t>(k_lookups));
  std::printf("memory_cache lookup: %.0f ns (%llu entries)\n", ns, static_cast<unsigned long long>(k_entries));
  EXPECT_LT(ns, 20'000);
}

}  // namespace
}  // namespace llmgw::cache
