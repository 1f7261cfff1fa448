#pragma once
// A request's cost from its token counts and its model's price: pure, so it
// is checked against hand-computed figures.
#include <string>

#include "core/token_usage.hpp"
#include "cost/price.hpp"

namespace llmgw::cost {

// USD, each kind of token at its own rate.
struct cost_breakdown {
  double input = 0;         // uncached prompt tokens
  double cached_input = 0;  // prompt tokens read from the vendor's cache
  double cache_write = 0;   // prompt tokens written to it
  double output = 0;        // completion tokens, reasoning included
  double total() const { return input + cached_input + cache_write + output; }
};

// `u` follows OpenAI's convention (token_usage.hpp): prompt_tokens counts
// every input token, cached and cache-write ones included, which every
// adapter keeps (Anthropic's and Bedrock's input counts, which leave the
// cache out, are added up in their decoders). So the uncached part is what
// remains of the prompt after the cache's tokens; counts below zero (unknown)
// count as none.
cost_breakdown compute_cost(const token_usage& u, const model_price& p);

// USD for a header or a log: fixed-point, at most 10 decimals, trailing zeros
// dropped ("0.0001275", "0"), so sums of binary fractions print as written.
std::string format_usd(double usd);

}  // namespace llmgw::cost
