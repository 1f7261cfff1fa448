#pragma once
// Reads a price file in LiteLLM's `model_prices_and_context_window.json`
// format, the one many teams already maintain: one object whose keys are
// model names (`gpt-4o`, `groq/llama-3.3-70b-versatile`,
// `anthropic.claude-3-haiku-20240307-v1:0`) and whose values hold, among
// many fields this reader leaves alone, USD per token:
//   input_cost_per_token, output_cost_per_token,
//   cache_read_input_token_cost, cache_creation_input_token_cost,
//   and for a long-context tier the same names + `_above_<N>k_tokens`
//   (input_cost_per_token_above_200k_tokens, …).
// Entries with neither an input nor an output price (image, audio, rerank
// models…) and the `sample_spec` entry are skipped. A missing cache price
// is the input price (no discount assumed, never $0).
#include <optional>
#include <string>
#include <string_view>

#include "cost/price_table.hpp"

namespace llmgw::cost {

// nullopt, with `error` saying which entry and field, when the text is not
// a JSON object or a price is not a non-negative number.
std::optional<price_table> read_litellm_prices(std::string_view json, std::string& error);

// The same from a file; `error` names the file.
std::optional<price_table> load_litellm_file(const std::string& path, std::string& error);

}  // namespace llmgw::cost
