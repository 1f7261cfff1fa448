#pragma once
// Prices by model name, and the one set of rules that finds a model's entry.
// Names match exactly, after a few explicit normalisations only — never by
// prefix, so `gpt-4o-mini` can never be priced as `gpt-4o`:
//   1. `<provider>/<model>` (a vendor's own price for a model others host
//      too: LiteLLM's `groq/…`, `mistral/…` keys), then `<model>`;
//   2. a dated snapshot as its model: `-YYYY-MM-DD` or `-YYYYMMDD` at the end
//      (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-haiku-20241022` →
//      `claude-3-5-haiku`), and `-latest` likewise;
//   3. Bedrock ids: a cross-region prefix (`us.`, `eu.`, `apac.`, `global.`…)
//      and the version suffix (`-v1:0`, `:0`) dropped, then the model
//      vendor's prefix (`anthropic.`, `amazon.`, `meta.`, `mistral.`…);
//   4. an OpenAI-compatible `vendor/model` id (OpenRouter's `openai/gpt-4o`,
//      Groq's `meta-llama/…`) as its last part.
// Names are compared case-insensitively.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cost/price.hpp"

namespace llmgw::cost {

class price_table {
 public:
  // Replaces an entry of the same name.
  void set(std::string_view name, const model_price& p);
  // The entry of exactly this name (case-insensitively); nullptr when none.
  const model_price* exact(std::string_view name) const;
  // The entry for `model` served by `provider` (the configured provider's
  // name) of vendor `family` (its type: "groq", "anthropic"…; either may be
  // empty or the same), by the rules above: both scopes before the bare name.
  const model_price* find(std::string_view provider, std::string_view family, std::string_view model) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, model_price, hash, std::equal_to<>> entries_;
};

// `name` lower-cased.
std::string lower(std::string_view name);

// The model without a dated-snapshot or `-latest` suffix; empty when it has none.
std::string_view without_date(std::string_view model);

}  // namespace llmgw::cost
