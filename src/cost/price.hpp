#pragma once
// What one model costs, in USD per token, for each kind of token a vendor
// bills differently. Plain values: a resolved price is copied into the
// request's context, so a reload of the tables never pulls it from under a
// request in flight.
#include <cstdint>

namespace llmgw::cost {

struct token_rates {
  double input = 0;         // an uncached prompt token
  double cached_input = 0;  // a prompt token read from the vendor's prompt cache
  double cache_write = 0;   // a prompt token written to it (Anthropic, Bedrock)
  double output = 0;        // a completion token, reasoning included
  bool operator==(const token_rates&) const = default;
};

struct model_price {
  token_rates base;
  // A long-context tier: a request whose prompt (every input token, cached
  // and cache-write ones included) is longer than `tier_above` tokens pays
  // `tier` for all its tokens — Gemini 2.5 Pro above 200k, Claude Sonnet 4
  // and 4.5 in their 1M-context mode above 200k. 0: no tier.
  std::int64_t tier_above = 0;
  token_rates tier;
  bool operator==(const model_price&) const = default;
};

// USD per million tokens, as price pages quote them → USD per token.
constexpr double per_mtok(double usd) { return usd / 1e6; }

// One number to rank deployments by price (the cost strategy): USD per
// million uncached input tokens plus per million output tokens, at the base
// rates. A plain sum, not weighted by a guessed input/output mix: it orders
// the usual price lists the way their per-request costs order.
constexpr double blended_usd_per_mtok(const model_price& p) { return (p.base.input + p.base.output) * 1e6; }

}  // namespace llmgw::cost
