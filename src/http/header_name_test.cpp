#include "http/header_name.hpp"

#include <gtest/gtest.h>

namespace llmgw::http {
namespace {

// A header_name is made from a literal only when the literal is a token;
// anything else fails the compile (the constructor is consteval). The rule
// itself, at run time:
TEST(header_name, a_token_is_letters_digits_and_a_few_marks) {
  EXPECT_TRUE(is_token_text("x-ratelimit-remaining-requests"));
  EXPECT_TRUE(is_token_text("X_Custom.1!#$%&'*+^`|~"));
  EXPECT_FALSE(is_token_text(""));
  EXPECT_FALSE(is_token_text("x-bad name"));
  EXPECT_FALSE(is_token_text("x-model\r\nset-cookie"));
  EXPECT_FALSE(is_token_text("x:y"));
  EXPECT_FALSE(is_token_text("x\"y"));
  EXPECT_FALSE(is_token_text("caf\xc3\xa9"));
}

TEST(header_name, a_name_known_at_run_time_is_checked_then) {
  ASSERT_TRUE(header_name::checked("x-amzn-errortype"));
  EXPECT_EQ(header_name::checked("x-amzn-errortype")->view(), "x-amzn-errortype");
  EXPECT_FALSE(header_name::checked("x-bad name"));
  EXPECT_FALSE(header_name::checked("x\r\ny"));
}

TEST(header_name, keeps_its_literal) {
  constexpr header_name n = "x-request-id";
  static_assert(n.view() == "x-request-id");
  const header_field f{"retry-after", "3"};
  EXPECT_EQ(f.name.view(), "retry-after");
  EXPECT_EQ(f.value, "3");
}

}  // namespace
}  // namespace llmgw::http
