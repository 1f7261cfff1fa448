#include "core/request_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace llmgw {
namespace {

TEST(request_id, shape) {
  const request_id id = request_id::generate();
  const std::string_view v = id.view();
  ASSERT_EQ(v.size(), 28u);
  EXPECT_EQ(v.substr(0, 4), "req_");
  for (char c : v.substr(4)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << v;
  EXPECT_EQ(new_request_id().size(), 28u);
}

TEST(request_id, unique_within_and_across_threads) {
  constexpr int k_per_thread = 20000;
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (auto& out : ids) {
    threads.emplace_back([&out] {
      for (int i = 0; i < k_per_thread; ++i) out.push_back(new_request_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4u * k_per_thread);
}

}  // namespace
}  // namespace llmgw
