// Prices as the vendors' public pricing pages listed them in 2025 (OpenAI
// platform pricing, Anthropic's pricing page, Google AI for Developers'
// Gemini API pricing, Amazon Bedrock pricing, Groq's and Mistral's pricing
// pages), cross-checked in December 2026 against third-party summaries of
// those pages. Standard (not batch, not priority) rates, USD per million
// tokens. Keys are undated model names: snapshots (`-2024-08-06`,
// `-20241022`) and Bedrock ids find them through price_table's rules; a
// snapshot priced differently from its model has its own entry.
#include "cost/builtin_prices.hpp"

#include <initializer_list>

namespace llmgw::cost {

namespace {

struct row {
  const char* name;
  model_price price;
};

// Input, cached input and output per million; a cache write costs what an
// uncached input token costs (OpenAI, Gemini and the others bill none).
model_price flat(double in, double out, double cached) {
  model_price p;
  p.base = {per_mtok(in), per_mtok(cached), per_mtok(in), per_mtok(out)};
  return p;
}
model_price flat(double in, double out) { return flat(in, out, in); }

// Anthropic's rule: a 5-minute cache write is 1.25× the input price, a
// cache read 0.1× (the same on Bedrock).
token_rates anthropic_rates(double in, double out) {
  return {per_mtok(in), per_mtok(in * 0.1), per_mtok(in * 1.25), per_mtok(out)};
}
model_price anthropic(double in, double out) {
  model_price p;
  p.base = anthropic_rates(in, out);
  return p;
}
// Sonnet 4 and 4.5 with the 1M-context window: above 200k input tokens the
// whole request is billed at $6 / $22.50 (cache rates follow the input's).
model_price anthropic_long_context(double in, double out, double long_in, double long_out) {
  model_price p = anthropic(in, out);
  p.tier_above = 200'000;
  p.tier = anthropic_rates(long_in, long_out);
  return p;
}

// Gemini's long-context tier: above 200k prompt tokens.
model_price gemini_tiered(double in, double cached, double out, double long_in, double long_cached, double long_out) {
  model_price p = flat(in, out, cached);
  p.tier_above = 200'000;
  p.tier = {per_mtok(long_in), per_mtok(long_cached), per_mtok(long_in), per_mtok(long_out)};
  return p;
}

price_table build() {
  const std::initializer_list<row> rows = {
      // OpenAI
      {"gpt-4o", flat(2.50, 10.00, 1.25)},
      {"gpt-4o-2024-05-13", flat(5.00, 15.00)},  // the first snapshot kept its launch price
      {"chatgpt-4o-latest", flat(5.00, 15.00)},
      {"gpt-4o-mini", flat(0.15, 0.60, 0.075)},
      {"gpt-4.1", flat(2.00, 8.00, 0.50)},
      {"gpt-4.1-mini", flat(0.40, 1.60, 0.10)},
      {"gpt-4.1-nano", flat(0.10, 0.40, 0.025)},
      {"gpt-4-turbo", flat(10.00, 30.00)},
      {"gpt-4", flat(30.00, 60.00)},
      {"gpt-3.5-turbo", flat(0.50, 1.50)},
      {"o1", flat(15.00, 60.00, 7.50)},
      {"o1-mini", flat(1.10, 4.40, 0.55)},
      {"o1-pro", flat(150.00, 600.00)},
      {"o3", flat(2.00, 8.00, 0.50)},
      {"o3-mini", flat(1.10, 4.40, 0.55)},
      {"o3-pro", flat(20.00, 80.00)},
      {"o4-mini", flat(1.10, 4.40, 0.275)},
      {"gpt-5", flat(1.25, 10.00, 0.125)},
      {"gpt-5-chat-latest", flat(1.25, 10.00, 0.125)},
      {"gpt-5-codex", flat(1.25, 10.00, 0.125)},
      {"gpt-5-mini", flat(0.25, 2.00, 0.025)},
      {"gpt-5-nano", flat(0.05, 0.40, 0.005)},
      {"gpt-5-pro", flat(15.00, 120.00)},
      {"gpt-5.1", flat(1.25, 10.00, 0.125)},
      {"gpt-5.1-chat-latest", flat(1.25, 10.00, 0.125)},
      {"gpt-5.1-codex", flat(1.25, 10.00, 0.125)},
      {"text-embedding-3-small", flat(0.02, 0)},
      {"text-embedding-3-large", flat(0.13, 0)},
      {"text-embedding-ada-002", flat(0.10, 0)},
      // Anthropic (and Claude on Bedrock, at the same list prices)
      {"claude-3-haiku", anthropic(0.25, 1.25)},
      {"claude-3-5-haiku", anthropic(0.80, 4.00)},
      {"claude-haiku-4-5", anthropic(1.00, 5.00)},
      {"claude-3-sonnet", anthropic(3.00, 15.00)},
      {"claude-3-5-sonnet", anthropic(3.00, 15.00)},
      {"claude-3-7-sonnet", anthropic(3.00, 15.00)},
      {"claude-sonnet-4", anthropic_long_context(3.00, 15.00, 6.00, 22.50)},
      {"claude-sonnet-4-0", anthropic_long_context(3.00, 15.00, 6.00, 22.50)},
      {"claude-sonnet-4-5", anthropic_long_context(3.00, 15.00, 6.00, 22.50)},
      {"claude-3-opus", anthropic(15.00, 75.00)},
      {"claude-opus-4", anthropic(15.00, 75.00)},
      {"claude-opus-4-0", anthropic(15.00, 75.00)},
      {"claude-opus-4-1", anthropic(15.00, 75.00)},
      {"claude-opus-4-5", anthropic(5.00, 25.00)},
      // Google Gemini (text input; cached = context-cache read)
      {"gemini-2.0-flash", flat(0.10, 0.40, 0.025)},
      {"gemini-2.0-flash-lite", flat(0.075, 0.30)},
      {"gemini-2.5-flash", flat(0.30, 2.50, 0.03)},
      {"gemini-2.5-flash-lite", flat(0.10, 0.40, 0.01)},
      {"gemini-2.5-pro", gemini_tiered(1.25, 0.125, 10.00, 2.50, 0.25, 15.00)},
      {"gemini-3-pro-preview", gemini_tiered(2.00, 0.20, 12.00, 4.00, 0.40, 18.00)},
      // Amazon Bedrock (us-east-1 on-demand): Nova and Llama, by the name
      // left once the region, vendor and version are taken off the id.
      {"nova-micro", flat(0.035, 0.14, 0.00875)},
      {"nova-lite", flat(0.06, 0.24, 0.015)},
      {"nova-pro", flat(0.80, 3.20, 0.20)},
      {"nova-premier", flat(2.50, 12.50, 0.625)},
      {"llama3-1-8b-instruct", flat(0.22, 0.22)},
      {"llama3-1-70b-instruct", flat(0.72, 0.72)},
      {"llama3-1-405b-instruct", flat(2.40, 2.40)},
      {"llama3-3-70b-instruct", flat(0.72, 0.72)},
      {"llama4-scout-17b-instruct", flat(0.17, 0.66)},
      {"llama4-maverick-17b-instruct", flat(0.24, 0.97)},
      // Groq (scoped: the same open models cost differently elsewhere)
      {"groq/llama-3.3-70b-versatile", flat(0.59, 0.79)},
      {"groq/llama-3.1-8b-instant", flat(0.05, 0.08)},
      {"groq/openai/gpt-oss-120b", flat(0.15, 0.75)},
      {"groq/openai/gpt-oss-20b", flat(0.10, 0.50)},
      {"groq/meta-llama/llama-4-scout-17b-16e-instruct", flat(0.11, 0.34)},
      {"groq/meta-llama/llama-4-maverick-17b-128e-instruct", flat(0.20, 0.60)},
      {"groq/qwen/qwen3-32b", flat(0.29, 0.59)},
      {"groq/moonshotai/kimi-k2-instruct", flat(1.00, 3.00)},
      // Mistral (`-latest` names find these; dated releases listed)
      {"mistral/mistral-large", flat(2.00, 6.00)},
      {"mistral/mistral-large-2411", flat(2.00, 6.00)},
      {"mistral/mistral-medium", flat(0.40, 2.00)},
      {"mistral/mistral-medium-2505", flat(0.40, 2.00)},
      {"mistral/mistral-small", flat(0.10, 0.30)},
      {"mistral/mistral-small-2503", flat(0.10, 0.30)},
      {"mistral/mistral-small-2506", flat(0.10, 0.30)},
      {"mistral/codestral", flat(0.30, 0.90)},
      {"mistral/codestral-2501", flat(0.30, 0.90)},
      {"mistral/ministral-8b", flat(0.10, 0.10)},
      {"mistral/ministral-3b", flat(0.04, 0.04)},
      {"mistral/open-mistral-nemo", flat(0.15, 0.15)},
      {"mistral/pixtral-large", flat(2.00, 6.00)},
      {"mistral/magistral-medium", flat(2.00, 5.00)},
      {"mistral/magistral-small", flat(0.50, 1.50)},
      {"mistral/mistral-embed", flat(0.10, 0)},
  };
  price_table t;
  for (const auto& r : rows) t.set(r.name, r.price);
  return t;
}

}  // namespace

const price_table& builtin_prices() {
  static const price_table table = build();
  return table;
}

}  // namespace llmgw::cost
