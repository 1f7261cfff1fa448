#include "core/path_segment.hpp"

#include <gtest/gtest.h>

namespace llmgw {
namespace {

TEST(path_segment, ordinary_model_ids_are_usable) {
  EXPECT_TRUE(usable_in_path("gpt-4o-mini"));
  EXPECT_TRUE(usable_in_path("my.deployment"));
  EXPECT_TRUE(usable_in_path("..."));
  EXPECT_TRUE(usable_in_path("a..b"));
  EXPECT_TRUE(usable_in_path("models/gemini-2.0-flash"));
  EXPECT_TRUE(usable_in_path("anthropic.claude-3-haiku-20240307-v1:0"));
  EXPECT_TRUE(usable_in_path(
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"));
  EXPECT_TRUE(usable_in_path("100%"));
  EXPECT_TRUE(usable_in_path("a b?c#d"));
}

TEST(path_segment, empty_and_dot_segments_are_refused) {
  EXPECT_FALSE(usable_in_path(""));
  EXPECT_FALSE(usable_in_path("."));
  EXPECT_FALSE(usable_in_path(".."));
  EXPECT_FALSE(usable_in_path("../x"));
  EXPECT_FALSE(usable_in_path("a/../b"));
  EXPECT_FALSE(usable_in_path("a/."));
  EXPECT_FALSE(usable_in_path("a\\..\\b"));
  EXPECT_FALSE(usable_in_path("models/.."));
}

TEST(path_segment, dot_segments_after_decoding_are_refused) {
  EXPECT_FALSE(usable_in_path("%2e%2e"));
  EXPECT_FALSE(usable_in_path("%2E."));
  EXPECT_FALSE(usable_in_path(".%2e"));
  EXPECT_FALSE(usable_in_path("%2e"));
  EXPECT_FALSE(usable_in_path("%252e%252e"));  // decoded twice
  EXPECT_FALSE(usable_in_path("a%2f..%2fb"));
  EXPECT_FALSE(usable_in_path("a%5c.."));
  EXPECT_TRUE(usable_in_path("%2e%2e%2e"));
  EXPECT_TRUE(usable_in_path("%2"));
  EXPECT_TRUE(usable_in_path("%zz"));
}

}  // namespace
}  // namespace llmgw
