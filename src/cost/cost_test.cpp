#include "cost/cost.hpp"

#include <gtest/gtest.h>

#include "cost/builtin_prices.hpp"

namespace llmgw::cost {
namespace {

constexpr double k_eps = 1e-12;

const model_price& builtin(std::string_view provider, std::string_view model) {
  const model_price* p = builtin_prices().find(provider, provider, model);
  EXPECT_NE(p, nullptr) << model;
  static const model_price none;
  return p ? *p : none;
}

TEST(cost, openai_cached_prompt_tokens_at_the_cached_rate) {
  // gpt-4o: $2.50 input, $1.25 cached, $10 output per million.
  // 2000 prompt tokens of which 1500 cached, 100 completion tokens:
  //   500 × 2.50e-6 = 0.00125, 1500 × 1.25e-6 = 0.001875, 100 × 10e-6 = 0.001.
  token_usage u;
  u.prompt_tokens = 2000;
  u.cached_tokens = 1500;
  u.completion_tokens = 100;
  const auto c = compute_cost(u, builtin("openai", "gpt-4o"));
  EXPECT_NEAR(c.input, 0.00125, k_eps);
  EXPECT_NEAR(c.cached_input, 0.001875, k_eps);
  EXPECT_NEAR(c.cache_write, 0, k_eps);
  EXPECT_NEAR(c.output, 0.001, k_eps);
  EXPECT_NEAR(c.total(), 0.004125, k_eps);
  EXPECT_EQ(format_usd(c.total()), "0.004125");
}

TEST(cost, anthropic_cache_read_and_write_each_at_their_rate) {
  // Claude Sonnet 4.5: $3 input, cache write 1.25× = $3.75, read 0.1× = $0.30, $15 output.
  // Anthropic's usage {input_tokens: 100, cache_read_input_tokens: 2000,
  // cache_creation_input_tokens: 1000, output_tokens: 200} becomes, in the
  // gateway's counts, prompt 3100 = 100 + 2000 + 1000 (anthropic_decode.cpp):
  //   100 × 3e-6 = 0.0003, 2000 × 0.3e-6 = 0.0006, 1000 × 3.75e-6 = 0.00375, 200 × 15e-6 = 0.003.
  token_usage u;
  u.prompt_tokens = 3100;
  u.cached_tokens = 2000;
  u.cache_creation_tokens = 1000;
  u.completion_tokens = 200;
  const auto c = compute_cost(u, builtin("anthropic", "claude-sonnet-4-5-20250929"));
  EXPECT_NEAR(c.input, 0.0003, k_eps);
  EXPECT_NEAR(c.cached_input, 0.0006, k_eps);
  EXPECT_NEAR(c.cache_write, 0.00375, k_eps);
  EXPECT_NEAR(c.output, 0.003, k_eps);
  EXPECT_EQ(format_usd(c.total()), "0.00765");
}

TEST(cost, gemini_long_context_tier_above_200k_prompt_tokens) {
  // Gemini 2.5 Pro: ≤200k: $1.25 / $0.125 cached / $10; >200k: $2.50 / $0.25 / $15.
  token_usage u;
  u.prompt_tokens = 250'000;
  u.cached_tokens = 50'000;
  u.completion_tokens = 1000;
  const auto& p = builtin("gemini", "gemini-2.5-pro");
  auto c = compute_cost(u, p);
  // 200000 × 2.5e-6 = 0.5, 50000 × 0.25e-6 = 0.0125, 1000 × 15e-6 = 0.015.
  EXPECT_NEAR(c.input, 0.5, k_eps);
  EXPECT_NEAR(c.cached_input, 0.0125, k_eps);
  EXPECT_NEAR(c.output, 0.015, k_eps);
  EXPECT_EQ(format_usd(c.total()), "0.5275");
  // Exactly 200k is not above: 150000 × 1.25e-6 + 50000 × 0.125e-6 + 1000 × 10e-6.
  u.prompt_tokens = 200'000;
  c = compute_cost(u, p);
  EXPECT_NEAR(c.total(), 0.1875 + 0.00625 + 0.01, k_eps);
}

TEST(cost, claude_sonnet_4_long_context_counts_cache_tokens_toward_the_threshold) {
  // 150k cached + 60k written + 1k uncached = 211k input tokens: the 1M-context
  // rates apply ($6 input → write $7.50, read $0.60; $22.50 output).
  token_usage u;
  u.prompt_tokens = 211'000;
  u.cached_tokens = 150'000;
  u.cache_creation_tokens = 60'000;
  u.completion_tokens = 2000;
  const auto c = compute_cost(u, builtin("anthropic", "claude-sonnet-4-20250514"));
  EXPECT_NEAR(c.input, 1000 * 6e-6, k_eps);
  EXPECT_NEAR(c.cached_input, 150'000 * 0.6e-6, k_eps);
  EXPECT_NEAR(c.cache_write, 60'000 * 7.5e-6, k_eps);
  EXPECT_NEAR(c.output, 2000 * 22.5e-6, k_eps);
}

TEST(cost, reasoning_tokens_are_output_and_unknown_counts_are_none) {
  token_usage u;
  u.prompt_tokens = -1;  // unknown
  u.completion_tokens = 1000;
  u.reasoning_tokens = 800;  // part of completion_tokens
  u.cached_tokens = -1;
  const auto c = compute_cost(u, builtin("openai", "o3"));
  EXPECT_NEAR(c.input, 0, k_eps);
  EXPECT_NEAR(c.output, 1000 * 8e-6, k_eps);
}

TEST(cost, cache_counts_larger_than_the_prompt_are_cut_to_it) {
  // A vendor's inconsistent numbers never make the uncached part negative.
  model_price p;
  p.base = {1, 0.5, 2, 0};
  token_usage u;
  u.prompt_tokens = 10;
  u.cached_tokens = 8;
  u.cache_creation_tokens = 5;
  const auto c = compute_cost(u, p);
  EXPECT_NEAR(c.input, 0, k_eps);
  EXPECT_NEAR(c.cached_input, 4, k_eps);
  EXPECT_NEAR(c.cache_write, 4, k_eps);
}

TEST(cost, format_usd_is_fixed_point_without_trailing_zeros) {
  EXPECT_EQ(format_usd(0), "0");
  EXPECT_EQ(format_usd(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_usd(1.5e-9), "0.0000000015");
  EXPECT_EQ(format_usd(12), "12");
  EXPECT_EQ(format_usd(-1), "0");
}

}  // namespace
}  // namespace llmgw::cost
