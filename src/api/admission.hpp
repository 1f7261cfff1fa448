#pragma once
// The admit stage's arithmetic: which buckets a request is charged on (its
// key, its key and model, later its deployment), how many tokens it reserves,
// and what the answer says about it (x-ratelimit-* headers, the 429). What it
// holds is settled exactly once, when the request context finishes: the
// reserved tokens are trued up to the vendor's count and parallel slots are
// given back.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/limits_config.hpp"
#include "core/gateway_error.hpp"
#include "http/response_headers.hpp"
#include "limits/limiter.hpp"

namespace llmgw::api {

// A short header value (a count, a duration) written in place: six of them
// on every limited response, so no string is built for any.
class header_text {
 public:
  std::string_view view() const { return {chars_.data(), size_}; }
  bool empty() const { return size_ == 0; }

 private:
  friend header_text reset_duration(std::chrono::milliseconds ms);
  friend header_text whole_number(double v);
  std::array<char, 24> chars_{};  // 19 digits and a sign, or "<minutes>m<seconds>s"
  std::uint8_t size_ = 0;
};

class admission {
 public:
  // The tokens a request reserves: its prompt, estimated from its size
  // (about 4 bytes a token), plus what it may produce (`max_output`, else
  // the key's or the config's reservation).
  static std::uint64_t reserve_for(std::size_t body_bytes, std::optional<std::int64_t> max_output,
                                   std::uint64_t default_output);

  // The charges of one request of `key_id` for `model` (as the client named it).
  void charge_key(std::string_view key_id, std::string_view model, const key_limits& limits, std::uint64_t tokens);
  // The budgets of the key (decided with its limits, in charges()) and of
  // its team (team_charges(): another owner, so another decision) for a
  // request estimated at `usd` (0 when it cannot be priced: a spent budget
  // still refuses it).
  void charge_budgets(std::string_view key_id, const key_limits& limits, double usd,
                      std::chrono::system_clock::time_point now);
  const std::vector<limits::charge>& team_charges() const { return team_charges_; }
  // The team's budgets were taken.
  void team_admitted(limits::limiter& l);

  // The charges of one attempt at a deployment with its own quota.
  std::vector<limits::charge> deployment_charges(std::string_view deployment, const rate_limits& limits) const;

  // The key's charges still to decide (admitted() moves them to what is held).
  const std::vector<limits::charge>& charges() const { return charges_; }
  bool empty() const { return charges_.empty(); }

  // After the key's decision: remember what is held (charges() is empty
  // after), fill the headers.
  void admitted(limits::limiter& l, const limits::decision& d);
  // A deployment's charges were taken for an attempt (a deployment refused
  // earlier no longer names the request's limit).
  void hold_deployment(limits::limiter& l, std::vector<limits::charge> charges);
  // The 429 (or, when it can never fit, the same with no retry-after).
  gateway_error refusal(const limits::decision& d, std::span<const limits::charge> charges);

  // x-ratelimit-* (and x-llmgw-limit on a refusal) for the response.
  void add_headers(http::response_headers& h) const;

  // Once, at the end: tokens trued up to `used` (the vendor's prompt +
  // completion, or nullopt when it reported none: the reservation stands),
  // budgets to `usd` (the request's cost; nullopt: the estimate stands),
  // slots released.
  void settle(std::optional<std::uint64_t> used, std::optional<double> usd);

  std::uint64_t reserved() const { return reserved_; }

 private:
  std::vector<limits::charge> charges_;
  std::vector<limits::charge> held_;  // taken: tokens to settle, slots to release
  limits::limiter* limiter_ = nullptr;
  std::uint64_t reserved_ = 0;
  double reserved_usd_ = 0;
  std::vector<limits::charge> team_charges_;
  // What a budget refusal says of each budget charged: its name and when it resets.
  struct budget_info {
    std::string bucket;
    std::string name;  // "team a's monthly budget"
    std::chrono::system_clock::time_point ends;
  };
  std::vector<budget_info> budgets_;
  bool settled_ = false;
  // Header values, owned here (headers view them).
  header_text limit_requests_, remaining_requests_, reset_requests_;
  header_text limit_tokens_, remaining_tokens_, reset_tokens_;
  std::string refused_label_;
  gateway_error budget_refusal(const limits::charge& c, const limits::bucket_state& s) const;
};

// OpenAI's duration format for x-ratelimit-reset-*: "250ms", "1s", "6m0s".
header_text reset_duration(std::chrono::milliseconds ms);

// A whole number of at least 0 ("2" for 2.9): a limit, what is left of it.
header_text whole_number(double v);

}  // namespace llmgw::api
