#include "cost/price_table.hpp"

#include <gtest/gtest.h>

#include "cost/builtin_prices.hpp"

namespace llmgw::cost {
namespace {

// The price's input rate in USD per million, or -1 when none is found.
double input_of(std::string_view provider, std::string_view model, const price_table& t = builtin_prices()) {
  const model_price* p = t.find(provider, provider, model);
  return p ? p->base.input * 1e6 : -1;
}

TEST(price_table, never_matches_a_longer_name_by_its_prefix) {
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4o"), 2.50);
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4o-mini"), 0.15);
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4.1-mini"), 0.40);
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-5-nano"), 0.05);
  // Names that only start like a priced one are unknown, not priced as it.
  EXPECT_EQ(input_of("openai", "gpt-4o-mini-transcribe"), -1);
  EXPECT_EQ(input_of("openai", "gpt-4o-audio-preview"), -1);
  EXPECT_EQ(input_of("openai", "o3-deep-research"), -1);
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4"), 30);
  EXPECT_EQ(input_of("openai", "gpt-4-0613x"), -1);
}

TEST(price_table, dated_snapshots_map_to_their_model_only_by_the_date_rule) {
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4o-2024-08-06"), 2.50);
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4o-mini-2024-07-18"), 0.15);
  // A snapshot with its own price keeps it.
  EXPECT_DOUBLE_EQ(input_of("openai", "gpt-4o-2024-05-13"), 5.00);
  EXPECT_DOUBLE_EQ(input_of("anthropic", "claude-3-5-haiku-20241022"), 0.80);
  EXPECT_DOUBLE_EQ(input_of("anthropic", "claude-3-5-haiku-latest"), 0.80);
  EXPECT_DOUBLE_EQ(input_of("anthropic", "claude-opus-4-1-20250805"), 15.00);
  EXPECT_DOUBLE_EQ(input_of("anthropic", "claude-opus-4-5-20251101"), 5.00);
  // Not a date: left alone.
  EXPECT_EQ(input_of("openai", "gpt-4o-2024-8-6"), -1);
  EXPECT_EQ(input_of("openai", "gpt-4o-99999999x"), -1);
}

TEST(price_table, bedrock_ids_with_region_vendor_and_version) {
  EXPECT_DOUBLE_EQ(input_of("bedrock", "anthropic.claude-3-haiku-20240307-v1:0"), 0.25);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "us.anthropic.claude-3-haiku-20240307-v1:0"), 0.25);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "eu.anthropic.claude-sonnet-4-20250514-v1:0"), 3.00);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"), 3.00);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "amazon.nova-pro-v1:0"), 0.80);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "us.amazon.nova-micro-v1:0"), 0.035);
  EXPECT_DOUBLE_EQ(input_of("bedrock", "meta.llama3-1-70b-instruct-v1:0"), 0.72);
  EXPECT_EQ(input_of("bedrock", "amazon.nova-pro-x-v1:0"), -1);
  // A version suffix is read only off Bedrock ids.
  price_table t;
  model_price deepseek;
  deepseek.base.input = 1e-6;
  t.set("deepseek", deepseek);
  EXPECT_EQ(input_of("deepseek", "deepseek-v3", t), -1);
}

TEST(price_table, provider_scoped_names_and_vendor_slash_model) {
  EXPECT_DOUBLE_EQ(input_of("groq", "llama-3.3-70b-versatile"), 0.59);
  EXPECT_DOUBLE_EQ(input_of("groq", "openai/gpt-oss-120b"), 0.15);
  EXPECT_EQ(input_of("openrouter", "llama-3.3-70b-versatile"), -1);  // Groq's price is Groq's
  EXPECT_DOUBLE_EQ(input_of("mistral", "mistral-large-latest"), 2.00);
  EXPECT_DOUBLE_EQ(input_of("mistral", "mistral-small-2506"), 0.10);
  // An OpenAI-compatible host's `vendor/model` id: the model's own price.
  EXPECT_DOUBLE_EQ(input_of("openrouter", "openai/gpt-4o"), 2.50);
  EXPECT_DOUBLE_EQ(input_of("openrouter", "openai/gpt-4o-mini"), 0.15);
  // A configured provider named otherwise still finds its family's prices.
  const model_price* p = builtin_prices().find("fast-llama", "groq", "llama-3.1-8b-instant");
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->base.output * 1e6, 0.08);
}

TEST(price_table, names_compare_case_insensitively_and_unknown_is_none) {
  EXPECT_DOUBLE_EQ(input_of("openai", "GPT-4o"), 2.50);
  EXPECT_EQ(input_of("openai", "my-own-model"), -1);
  EXPECT_EQ(input_of("openai", ""), -1);
}

TEST(price_table, without_date_reads_only_whole_dates) {
  EXPECT_EQ(without_date("gpt-4o-2024-08-06"), "gpt-4o");
  EXPECT_EQ(without_date("claude-3-haiku-20240307"), "claude-3-haiku");
  EXPECT_EQ(without_date("mistral-large-latest"), "mistral-large");
  EXPECT_EQ(without_date("gpt-4o-mini"), "");
  EXPECT_EQ(without_date("model-12345678"), "");  // not a 20xx year
  EXPECT_EQ(without_date("-2024-08-06"), "");
}

TEST(price_table, builtin_anthropic_cache_rates_follow_the_input_price) {
  for (std::string_view m : {"claude-3-haiku", "claude-3-5-haiku", "claude-haiku-4-5", "claude-3-7-sonnet",
                             "claude-sonnet-4-5", "claude-opus-4-1", "claude-opus-4-5"}) {
    const model_price* p = builtin_prices().exact(m);
    ASSERT_NE(p, nullptr) << m;
    EXPECT_NEAR(p->base.cache_write, p->base.input * 1.25, 1e-15) << m;
    EXPECT_NEAR(p->base.cached_input, p->base.input * 0.1, 1e-15) << m;
  }
}

}  // namespace
}  // namespace llmgw::cost
