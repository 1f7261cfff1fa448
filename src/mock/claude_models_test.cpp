#include "mock/claude_models.hpp"

#include <gtest/gtest.h>

namespace llmgw::mock {
namespace {

TEST(MockClaudeModels, AnthropicAndBedrockIdsName) {
  EXPECT_EQ(claude_id("claude-sonnet-4-5"), "claude-sonnet-4-5");
  EXPECT_EQ(claude_id("us.anthropic.claude-haiku-4-5-20251001-v1:0"), "claude-haiku-4-5-20251001-v1:0");
  EXPECT_EQ(claude_id("anthropic.claude-3-haiku-20240307-v1:0"), "claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(claude_id("meta.llama3-70b-instruct-v1:0"), "");
  EXPECT_EQ(claude_id("notanthropic.claude-x"), "");
}

TEST(MockClaudeModels, LimitsAndSamplers) {
  EXPECT_EQ(claude_output_limit("claude-sonnet-4-20250514"), 64000u);
  EXPECT_EQ(claude_output_limit("anthropic.claude-opus-4-1-20250805-v1:0"), 32000u);
  EXPECT_FALSE(claude_output_limit("claude-mock"));
  EXPECT_TRUE(claude_takes_one_sampler("global.anthropic.claude-sonnet-4-5-20250929-v1:0"));
  EXPECT_FALSE(claude_takes_one_sampler("claude-sonnet-4-20250514"));
}

}  // namespace
}  // namespace llmgw::mock
