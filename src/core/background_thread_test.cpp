#include "core/background_thread.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/test_threads.hpp"

namespace llmgw {
namespace {

TEST(background_thread, is_named_and_batch_scheduled) {
  int policy = -1;
  char name[16] = {};
  std::thread([&] {
    become_background_thread("probe");
    policy = sched_getscheduler(0);
    pthread_getname_np(pthread_self(), name, sizeof name);
  }).join();
  EXPECT_EQ(policy, SCHED_BATCH);
  EXPECT_EQ(std::string(name), "llmgw-probe");
}

TEST(background_thread, a_long_name_is_cut_to_what_the_kernel_keeps) {
  char name[16] = {};
  std::thread([&] {
    become_background_thread("inserter-of-everything");
    pthread_getname_np(pthread_self(), name, sizeof name);
  }).join();
  EXPECT_EQ(std::string(name), "llmgw-inserter-");
}

TEST(background_thread, the_thread_can_be_found_by_its_name) {
  std::atomic<bool> ready{false}, done{false};
  std::thread t([&] {
    become_background_thread("findme");
    ready = true;
    while (!done) std::this_thread::yield();
  });
  while (!ready) std::this_thread::yield();
  EXPECT_EQ(policies_of_threads_named("llmgw-findme"), std::vector<int>{SCHED_BATCH});
  done = true;
  t.join();
  EXPECT_TRUE(policies_of_threads_named("llmgw-findme").empty());
}

}  // namespace
}  // namespace llmgw
