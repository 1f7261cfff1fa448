#pragma once
// Rate limits as configured: per gateway key, per key and model, and per
// deployment of a model group. An absent amount is unlimited.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmgw {

struct rate_limits {
  std::optional<std::uint64_t> rpm;           // requests per minute
  std::optional<std::uint64_t> tpm;           // tokens per minute (prompt + completion)
  std::optional<std::uint64_t> max_parallel;  // requests in flight at once
  bool any() const { return rpm || tpm || max_parallel; }
};

// A spend limit in USD over a calendar period, in UTC: a day, or a month.
struct budget {
  enum class period : std::uint8_t { day, month };
  period per = period::day;
  double usd = 0;
};

// What one gateway key may use.
struct key_limits {
  rate_limits key;  // the key over every model
  // Per model as the client names it (before aliases and groups resolve).
  std::map<std::string, rate_limits, std::less<>> per_model;
  std::optional<std::uint64_t> reserve_output_tokens;  // else limits_config's
  std::vector<budget> budgets;                         // the key's own
  std::string team;                                    // the key's team (`team:`); empty: none
  std::vector<budget> team_budgets;                    // the team's (`teams:`), shared by its keys
  bool any() const {
    return key.any() || !per_model.empty() || reserve_output_tokens || !budgets.empty() || !team_budgets.empty();
  }
};

// The `limits:` section: how the limiter behaves, not what it limits.
struct limits_config {
  enum class store_error_policy { fail_open, fail_closed };
  // When the shared store (Redis) cannot be reached: fail_open falls back to
  // this instance's own in-memory limiter, fail_closed answers 503.
  store_error_policy on_store_error = store_error_policy::fail_open;
  // Tokens reserved for the answer when a request sets no max_tokens; a key
  // may set its own.
  std::uint64_t reserve_output_tokens = 1024;
};

}  // namespace llmgw
