#include "cost/cost.hpp"

#include <charconv>

#include <algorithm>

namespace llmgw::cost {

cost_breakdown compute_cost(const token_usage& u, const model_price& p) {
  const auto count = [](std::int64_t n) { return static_cast<double>(std::max<std::int64_t>(0, n)); };
  const std::int64_t prompt = std::max<std::int64_t>(0, u.prompt_tokens);
  const std::int64_t cached = std::clamp<std::int64_t>(u.cached_tokens, 0, prompt);
  const std::int64_t written = std::clamp<std::int64_t>(u.cache_creation_tokens, 0, prompt - cached);
  const token_rates& r = p.tier_above > 0 && prompt > p.tier_above ? p.tier : p.base;
  cost_breakdown c;
  c.input = count(prompt - cached - written) * r.input;
  c.cached_input = count(cached) * r.cached_input;
  c.cache_write = count(written) * r.cache_write;
  c.output = count(u.completion_tokens) * r.output;
  return c;
}

std::string format_usd(double usd) {
  // to_chars, not printf: this runs for every priced answer, and printf's
  // float path was about 1% of a proxied request's CPU.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, usd < 0 ? 0.0 : usd, std::chars_format::fixed, 10);
  std::string s(buf, ec == std::errc{} ? end : buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s.empty() ? "0" : s;
}

}  // namespace llmgw::cost
