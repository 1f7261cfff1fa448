#include "routing/hedge_budget.hpp"

#include <gtest/gtest.h>

namespace llmgw {

TEST(hedge_budget, starts_full_then_allows_the_ratio_of_requests) {
  hedge_budget b(0.1, 10);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.take()) << i;  // the burst: a quiet group can hedge
  EXPECT_FALSE(b.take());
  int hedges = 0;
  for (int i = 0; i < 1000; ++i) {
    b.request();
    if (b.take()) ++hedges;
  }
  EXPECT_EQ(hedges, 100);  // 10% of the requests, no more
}

TEST(hedge_budget, holds_at_most_its_burst) {
  hedge_budget b(0.5, 10);
  while (b.take()) {
  }
  for (int i = 0; i < 1000; ++i) b.request();  // a long stretch without hedges refills it, to the burst only
  int hedges = 0;
  while (b.take()) ++hedges;
  EXPECT_EQ(hedges, 10);
}

}  // namespace llmgw
