#include "core/block_cache.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace llmgw {
namespace {

TEST(block_cache, classes_hold_what_they_serve) {
  EXPECT_FALSE(block_cache::covers(0));
  EXPECT_TRUE(block_cache::covers(1));
  EXPECT_TRUE(block_cache::covers(64));
  EXPECT_TRUE(block_cache::covers(16384));
  EXPECT_FALSE(block_cache::covers(16385));
  EXPECT_EQ(block_cache::class_bytes(1), 16u);
  EXPECT_EQ(block_cache::class_bytes(16), 16u);
  EXPECT_EQ(block_cache::class_bytes(17), 32u);
  EXPECT_EQ(block_cache::class_bytes(33), 48u);
  EXPECT_EQ(block_cache::class_bytes(64), 64u);
  EXPECT_EQ(block_cache::class_bytes(65), 128u);
  EXPECT_EQ(block_cache::class_bytes(1024), 1024u);
  EXPECT_EQ(block_cache::class_bytes(1025), 1536u);
  EXPECT_EQ(block_cache::class_bytes(3536), 3584u);  // a pipeline stage's coroutine frame
  EXPECT_EQ(block_cache::class_bytes(16384), 16384u);
  for (std::size_t size = 1; size <= 16384; ++size) {
    ASSERT_GE(block_cache::class_bytes(size), size) << size;
    ASSERT_LT(block_cache::class_bytes(size) - size, size <= 64 ? 16u : size <= 1024 ? 64u : 512u) << size;
  }
}

TEST(block_cache, a_kept_block_serves_its_class_and_smaller_sizes_of_it) {
  block_cache cache;
  alignas(16) static char block[4096];
  EXPECT_EQ(cache.take(3000), nullptr);
  ASSERT_TRUE(cache.keep(block, block_cache::class_bytes(3000)));  // 3072
  EXPECT_EQ(cache.kept_bytes(), 3072u);
  EXPECT_EQ(cache.take(3100), nullptr);  // the next class: 3584
  EXPECT_EQ(cache.take(2600), block);    // 2561..3072 share the class
  EXPECT_EQ(cache.kept_bytes(), 0u);
  EXPECT_EQ(cache.take(3000), nullptr);
}

TEST(block_cache, a_block_joins_the_largest_class_it_fills) {
  block_cache cache;
  alignas(16) static char block[4096];
  // 3,000 usable bytes: enough for the 2,560-byte class, not the 3,072 one.
  ASSERT_TRUE(cache.keep(block, 3000));
  EXPECT_EQ(cache.take(2561), nullptr);
  EXPECT_EQ(cache.take(2560), block);
  // Small blocks: 100 usable bytes serve requests of up to 64.
  ASSERT_TRUE(cache.keep(block, 100));
  EXPECT_EQ(cache.take(65), nullptr);
  EXPECT_EQ(cache.take(64), block);
  // What glibc gives for 32 bytes (40 usable) serves up to 32.
  ASSERT_TRUE(cache.keep(block, 40));
  EXPECT_EQ(cache.take(33), nullptr);
  EXPECT_EQ(cache.take(32), block);
  // Too small, or made for a size past the classes: not kept.
  EXPECT_FALSE(cache.keep(block, 15));
  EXPECT_FALSE(cache.keep(block, 16384 + 512));
  EXPECT_EQ(cache.kept_bytes(), 0u);
}

TEST(block_cache, what_is_kept_is_bounded_per_class_and_in_bytes) {
  block_cache cache;
  std::vector<char> blocks(block_cache::k_per_class + 1);
  for (std::size_t i = 0; i < block_cache::k_per_class; ++i) ASSERT_TRUE(cache.keep(&blocks[i], 128));
  EXPECT_FALSE(cache.keep(&blocks.back(), 128));  // the class is full
  EXPECT_TRUE(cache.keep(&blocks.back(), 192));   // the next one is not
  std::size_t freed = 0;
  cache.clear([&](void*) { ++freed; });
  EXPECT_EQ(freed, block_cache::k_per_class + 1);
  EXPECT_EQ(cache.kept_bytes(), 0u);

  // Large blocks of several classes: the byte bound stops them before
  // any class is full.
  std::vector<char> many(4 * block_cache::k_per_class);
  std::size_t kept = 0;
  std::size_t usable = 16384;
  for (;;) {
    std::size_t in_class = 0;
    while (in_class < block_cache::k_per_class / 2 && cache.keep(&many[kept], usable)) ++in_class, ++kept;
    if (in_class < block_cache::k_per_class / 2) break;
    usable -= 512;
  }
  EXPECT_LE(cache.kept_bytes(), block_cache::k_max_bytes);
  EXPECT_GT(cache.kept_bytes(), block_cache::k_max_bytes - 16384);
  EXPECT_LT(kept, many.size());
  cache.clear([](void*) {});
}

// The program's operator new and delete (src/global_new.cpp, linked into
// these tests): a freed frame-sized block comes back to the next allocation
// of its class on the same thread, holding what was asked; other threads
// keep their own.
TEST(global_new, a_freed_block_is_handed_out_again_on_its_thread) {
  void* first = ::operator new(3536);
  std::memset(first, 1, 3536);
  ::operator delete(first);            // unsized, as a coroutine frame is freed
  void* again = ::operator new(3300);  // the same 3,584-byte class
  EXPECT_EQ(again, first);
  std::memset(again, 2, 3300);
  EXPECT_GE(malloc_usable_size(again), 3300u);
  ::operator delete(again, 3300);

  void* elsewhere = nullptr;
  std::thread([&] {
    elsewhere = ::operator new(3300);
    ::operator delete(elsewhere, 3300);
  }).join();
  void* here = ::operator new(3300);
  EXPECT_EQ(here, first);  // still this thread's
  ::operator delete(here, 3300);
}

// A batch of small blocks freed together (far more than glibc keeps per
// size and thread; the requests of a Redis batch) stays in this thread's
// classes and comes back from them.
TEST(global_new, a_batch_of_small_blocks_is_handed_out_again) {
  std::vector<void*> batch;
  constexpr int k_batch = 100;
  for (int i = 0; i < k_batch; ++i) batch.push_back(::operator new(31));
  for (void* p : batch) ::operator delete(p, 31);
  // Held by this thread's cache, not given back to glibc: its own
  // allocations of the same chunk size get other blocks.
  std::vector<void*> direct;
  for (int i = 0; i < k_batch; ++i) direct.push_back(std::malloc(40));
  for (void* p : direct) EXPECT_EQ(std::find(batch.begin(), batch.end(), p), batch.end());
  for (void* p : direct) std::free(p);
  std::vector<void*> again;
  for (int i = 0; i < k_batch; ++i) again.push_back(::operator new(20));  // the same 32-byte class
  for (void* p : again) EXPECT_NE(std::find(batch.begin(), batch.end(), p), batch.end());
  for (void* p : again) ::operator delete(p, 20);
}

TEST(global_new, sizes_outside_the_classes_and_containers_work) {
  auto big = std::make_unique<char[]>(100'000);
  big[99'999] = 'x';
  auto tiny = std::make_unique<char>('y');
  std::vector<std::string> many;
  for (int i = 0; i < 2000; ++i) many.emplace_back(static_cast<std::size_t>(i), 'z');
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(many[static_cast<std::size_t>(i)].size(), static_cast<std::size_t>(i));
  EXPECT_EQ(big[99'999], 'x');
  EXPECT_EQ(*tiny, 'y');
}

}  // namespace
}  // namespace llmgw
