#include "limits/take_reply.hpp"

#include <gtest/gtest.h>

#include <array>

namespace llmgw::limits {
namespace {

TEST(take_reply, one_decision_per_request_in_order) {
  const std::array<std::size_t, 2> charges{2, 1};
  const auto d = read_take_reply("1 0 0 0 59 1000 99000 420;0 1 0 1500 0.12500000000000001 86400000", charges);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].admitted);
  EXPECT_FALSE(d[0].never_fits);
  ASSERT_EQ(d[0].states.size(), 2u);
  EXPECT_EQ(d[0].states[0].remaining, 59);
  EXPECT_EQ(d[0].states[0].reset, std::chrono::milliseconds(1000));
  EXPECT_EQ(d[0].states[1].remaining, 99000);
  EXPECT_EQ(d[0].states[1].reset, std::chrono::milliseconds(420));
  EXPECT_FALSE(d[1].admitted);
  EXPECT_EQ(d[1].refused, 0u);  // the first (1-based 1) of its keys
  EXPECT_EQ(d[1].retry_after, std::chrono::milliseconds(1500));
  EXPECT_DOUBLE_EQ(d[1].states[0].remaining, 0.125);  // USD left, as %.17g
  EXPECT_EQ(d[1].states[0].reset, std::chrono::milliseconds(86400000));
}

TEST(take_reply, never_fits_and_large_amounts) {
  const std::array<std::size_t, 1> charges{2};
  const auto d = read_take_reply("0 2 1 0 999999999999999 0 -3 0", charges);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].never_fits);
  EXPECT_EQ(d[0].refused, 1u);
  EXPECT_EQ(d[0].states[0].remaining, 999999999999999.0);
  EXPECT_EQ(d[0].states[1].remaining, -3);  // in flight past the bound
}

// Anything else than the script's answer to these requests is no answer:
// the limiter then applies its store-error policy.
TEST(take_reply, anything_else_is_no_answer) {
  const std::array<std::size_t, 2> two{1, 1};
  const std::array<std::size_t, 1> one{1};
  for (const char* bad : {"", "1 0 0 0 5 0", "1 0 0 0 5 0;", "1 0 0 0 5 0;1 0 0 0 5", "1 0 0 0 5 0;1 0 0 0 5 0;1",
                          "1 0 0 0 5 0;1 0 0 0 5 0 7", "1 0 0 0 5 0;1 0 0 0 5 0 ", "1 0 0 0 5 0;1  0 0 0 5 0",
                          "1 0 0 0 5 0;1 0 0 0 x 0", "1 2 0 0 5 0;1 0 0 0 5 0", "1 -1 0 0 5 0;1 0 0 0 5 0"}) {
    EXPECT_TRUE(read_take_reply(bad, two).empty()) << bad;
  }
  EXPECT_TRUE(read_take_reply("1 0 0 0 5 0;1 0 0 0 5 0", one).empty());
  EXPECT_EQ(read_take_reply("1 0 0 0 5 0", one).size(), 1u);
}

}  // namespace
}  // namespace llmgw::limits
