#include "providers/anthropic_models.hpp"

#include <gtest/gtest.h>

namespace llmgw::providers {
namespace {

TEST(ClaudeModels, OutputLimitsByFamily) {
  EXPECT_EQ(claude_max_output_tokens("claude-sonnet-4-5-20250929"), 64000);
  EXPECT_EQ(claude_max_output_tokens("anthropic/claude-3-5-haiku-latest"), 8192);
  EXPECT_FALSE(claude_max_output_tokens("gpt-4o"));
}

// Opus 4.1, Sonnet and Haiku 4.5 and every later version take temperature or
// top_p, not both (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4).
TEST(ClaudeModels, WhichRefuseTemperatureWithTopP) {
  for (std::string_view model :
       {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805",
        "claude-opus-4-5", "claude-sonnet-4-6", "claude-opus-4-7", "claude-sonnet-5", "anthropic/claude-sonnet-4-5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-haiku-4-5-20251001-v1:0"}) {
    EXPECT_TRUE(claude_refuses_temperature_with_top_p(model)) << model;
  }
  for (std::string_view model :
       {"claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-opus-4-20250514", "claude-3-7-sonnet-20250219",
        "claude-3-5-haiku-latest", "anthropic.claude-3-haiku-20240307-v1:0", "gpt-4o", "my-claude-sonnet-4-5",
        "meta.llama3-70b-instruct-v1:0", ""}) {
    EXPECT_FALSE(claude_refuses_temperature_with_top_p(model)) << model;
  }
}

}  // namespace
}  // namespace llmgw::providers
