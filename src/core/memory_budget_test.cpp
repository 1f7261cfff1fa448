#include "core/memory_budget.hpp"

#include <gtest/gtest.h>

namespace llmgw {
namespace {

TEST(memory_budget, refuses_what_passes_the_limit) {
  memory_budget b(100);
  EXPECT_TRUE(b.try_charge(60));
  EXPECT_FALSE(b.try_charge(41));
  EXPECT_TRUE(b.try_charge(40));
  EXPECT_EQ(b.used(), 100u);
  b.release(100);
  EXPECT_EQ(b.used(), 0u);
  b.release(5);  // never below zero
  EXPECT_EQ(b.used(), 0u);
}

TEST(budget_charge, grows_and_gives_back_on_destruction) {
  memory_budget b(100);
  {
    budget_charge c(&b);
    EXPECT_TRUE(c.grow_to(30));
    EXPECT_TRUE(c.grow_to(20));  // never shrinks by growing
    EXPECT_EQ(b.used(), 30u);
    EXPECT_FALSE(c.grow_to(101));
    EXPECT_EQ(c.charged(), 30u);
    budget_charge moved(std::move(c));
    EXPECT_EQ(moved.charged(), 30u);
    EXPECT_EQ(c.charged(), 0u);
  }
  EXPECT_EQ(b.used(), 0u);
}

TEST(budget_charge, without_a_budget_always_succeeds) {
  budget_charge c;
  EXPECT_TRUE(c.grow_to(1ull << 40));
}

}  // namespace
}  // namespace llmgw
