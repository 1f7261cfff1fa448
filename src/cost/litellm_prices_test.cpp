#include "cost/litellm_prices.hpp"

#include <gtest/gtest.h>

namespace llmgw::cost {
namespace {

// A few entries shaped like LiteLLM's file (fields it has that we do not read included).
constexpr std::string_view k_sample = R"({
  "sample_spec": {"max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0, "litellm_provider": "one of x"},
  "gpt-4o": {"max_tokens": 16384, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
             "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat",
             "supports_vision": true},
  "claude-3-5-haiku-20241022": {"input_cost_per_token": 8e-07, "output_cost_per_token": 4e-06,
             "cache_creation_input_token_cost": 1e-06, "cache_read_input_token_cost": 8e-08,
             "litellm_provider": "anthropic"},
  "gemini/gemini-2.5-pro": {"input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
             "cache_read_input_token_cost": 1.25e-07,
             "input_cost_per_token_above_200k_tokens": 2.5e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
             "cache_read_input_token_cost_above_200k_tokens": 2.5e-07, "litellm_provider": "gemini"},
  "text-embedding-3-small": {"input_cost_per_token": 2e-08, "output_cost_per_token": 0, "mode": "embedding"},
  "dall-e-3": {"mode": "image_generation", "output_cost_per_pixel": 0.0},
  "free-model": {"input_cost_per_token": 0, "output_cost_per_token": 0}
})";

TEST(litellm_prices, reads_rates_cache_prices_and_tiers) {
  std::string error;
  const auto t = read_litellm_prices(k_sample, error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->size(), 5u);  // not sample_spec, not the image model

  const model_price* p = t->find("openai", "openai", "gpt-4o-2024-11-20");
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->base.input, 2.5e-6);
  EXPECT_DOUBLE_EQ(p->base.cached_input, 1.25e-6);
  EXPECT_DOUBLE_EQ(p->base.cache_write, 2.5e-6);  // none given: the input price, never 0
  EXPECT_DOUBLE_EQ(p->base.output, 1e-5);
  EXPECT_EQ(p->tier_above, 0);

  p = t->find("anthropic", "anthropic", "claude-3-5-haiku-20241022");
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->base.cache_write, 1e-6);
  EXPECT_DOUBLE_EQ(p->base.cached_input, 8e-8);

  p = t->find("gemini", "gemini", "gemini-2.5-pro");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tier_above, 200'000);
  EXPECT_DOUBLE_EQ(p->tier.input, 2.5e-6);
  EXPECT_DOUBLE_EQ(p->tier.output, 1.5e-5);
  EXPECT_DOUBLE_EQ(p->tier.cached_input, 2.5e-7);

  p = t->find("openai", "openai", "free-model");
  ASSERT_NE(p, nullptr);  // a price of 0 given is a price, unlike none
  EXPECT_EQ(p->base.input, 0);
  EXPECT_EQ(t->find("openai", "openai", "dall-e-3"), nullptr);
}

TEST(litellm_prices, a_tier_without_cache_prices_scales_the_base_discount) {
  std::string error;
  const auto t = read_litellm_prices(R"({"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
      "cache_read_input_token_cost": 1e-07, "input_cost_per_token_above_128k_tokens": 2e-06}})",
                                     error);
  ASSERT_TRUE(t) << error;
  const model_price* p = t->exact("m");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tier_above, 128'000);
  EXPECT_DOUBLE_EQ(p->tier.input, 2e-6);
  EXPECT_DOUBLE_EQ(p->tier.output, 2e-6);  // no tier output price: the base one
  EXPECT_DOUBLE_EQ(p->tier.cached_input, 2e-7);
}

TEST(litellm_prices, bad_files_say_which_entry_and_field) {
  std::string error;
  EXPECT_FALSE(read_litellm_prices("[1,2]", error));
  EXPECT_NE(error.find("JSON object"), std::string::npos) << error;
  EXPECT_FALSE(read_litellm_prices("{\"gpt-4o\": ", error));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
  EXPECT_FALSE(read_litellm_prices(R"({"gpt-4o": {"input_cost_per_token": "cheap"}})", error));
  EXPECT_EQ(error, "\"gpt-4o\": input_cost_per_token: expected a number from 0 to 1 (USD per token)");
  EXPECT_FALSE(read_litellm_prices(R"({"x": {"input_cost_per_token": 1e-6, "output_cost_per_token": -1e-6}})", error));
  EXPECT_NE(error.find("output_cost_per_token"), std::string::npos) << error;
  EXPECT_FALSE(read_litellm_prices(R"({"x": 3})", error));
  EXPECT_EQ(error, "\"x\": expected an object");
  EXPECT_FALSE(load_litellm_file("/nonexistent/prices.json", error));
  EXPECT_NE(error.find("/nonexistent/prices.json"), std::string::npos) << error;
}

}  // namespace
}  // namespace llmgw::cost
