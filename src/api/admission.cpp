#include "api/admission.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "limits/budget_period.hpp"

namespace llmgw::api {

namespace {

// "{tag}" then the rest in parts, built in one allocation (no temporaries).
std::string bucket(std::string_view tag, std::string_view rest, std::string_view suffix = {}) {
  std::string b;
  b.reserve(tag.size() + rest.size() + suffix.size() + 2);
  b.append("{").append(tag).append("}").append(rest).append(suffix);
  return b;
}

std::string whole(double v) { return std::string(whole_number(v).view()); }

std::string_view per_minute_unit(limits::unit u) {
  switch (u) {
    case limits::unit::requests:
      return "requests per minute";
    case limits::unit::tokens:
      return "tokens per minute";
    case limits::unit::parallel:
      return "requests at once";
    case limits::unit::spend:
      return "USD";
  }
  return "";
}

}  // namespace

header_text reset_duration(std::chrono::milliseconds ms) {
  header_text t;
  char* p = t.chars_.data();
  char* const end = p + t.chars_.size();
  const auto put = [&](long long n, std::string_view unit) {
    p = std::to_chars(p, end, n).ptr;
    for (const char c : unit) *p++ = c;
  };
  const long long total = std::max<long long>(0, ms.count());
  if (total < 1000) {
    put(total, "ms");
  } else if (const long long s = (total + 999) / 1000; s < 60) {  // whole seconds, rounded up
    put(s, "s");
  } else {
    put(s / 60, "m");
    put(s % 60, "s");
  }
  t.size_ = static_cast<std::uint8_t>(p - t.chars_.data());
  return t;
}

header_text whole_number(double v) {
  header_text t;
  // Past what a long long holds (a limit nobody sets) it stays at that.
  const double floored = std::floor(std::max(0.0, v));
  const long long n = floored < 9.2e18 ? static_cast<long long>(floored) : 9'200'000'000'000'000'000LL;
  t.size_ = static_cast<std::uint8_t>(std::to_chars(t.chars_.data(), t.chars_.data() + t.chars_.size(), n).ptr -
                                      t.chars_.data());
  return t;
}

std::uint64_t admission::reserve_for(std::size_t body_bytes, std::optional<std::int64_t> max_output,
                                     std::uint64_t default_output) {
  const std::uint64_t prompt = (body_bytes + 3) / 4;
  const std::uint64_t output = max_output && *max_output > 0 ? static_cast<std::uint64_t>(*max_output) : default_output;
  return prompt + output;
}

void admission::charge_key(std::string_view key_id, std::string_view model, const key_limits& limits,
                           std::uint64_t tokens) {
  reserved_ = tokens;
  charges_.reserve(charges_.size() + 6);  // a key's three and its model's three at most
  const auto add = [&](const rate_limits& r, std::string_view scope, std::string_view rpm_label,
                       std::string_view tpm_label, std::string_view parallel_label) {
    if (r.rpm)
      charges_.push_back(
          {bucket(key_id, scope, "rpm"), rpm_label, limits::unit::requests, static_cast<double>(*r.rpm), 1});
    if (r.tpm)
      charges_.push_back({bucket(key_id, scope, "tpm"), tpm_label, limits::unit::tokens, static_cast<double>(*r.tpm),
                          static_cast<double>(tokens)});
    if (r.max_parallel)
      charges_.push_back({bucket(key_id, scope, "parallel"), parallel_label, limits::unit::parallel,
                          static_cast<double>(*r.max_parallel), 1});
  };
  add(limits.key, ":", "key:rpm", "key:tpm", "key:max_parallel");
  if (auto it = limits.per_model.find(model); it != limits.per_model.end()) {
    add(it->second, ":m:" + std::string(model) + ":", "key-model:rpm", "key-model:tpm", "key-model:max_parallel");
  }
}

void admission::charge_budgets(std::string_view key_id, const key_limits& limits, double usd,
                               std::chrono::system_clock::time_point now) {
  reserved_usd_ = usd;
  const auto add = [&](std::vector<limits::charge>& to, std::string_view tag, const budget& b, std::string_view label,
                       std::string name) {
    const limits::budget_window w = limits::budget_window_at(b.per, now);
    limits::charge c{bucket(tag, ":budget:" + w.id), label, limits::unit::spend, b.usd, usd};
    c.window = w.left;
    budgets_.push_back({c.bucket, std::move(name), w.ends});
    to.push_back(std::move(c));
  };
  for (const budget& b : limits.budgets) {
    add(charges_, key_id, b, b.per == budget::period::day ? "key:budget:day" : "key:budget:month",
        "this key's " + std::string(limits::adjective_of(b.per)) + " budget");
  }
  if (limits.team.empty()) return;
  const std::string tag = "team:" + limits.team;
  for (const budget& b : limits.team_budgets) {
    add(team_charges_, tag, b, b.per == budget::period::day ? "team:budget:day" : "team:budget:month",
        "team " + limits.team + "'s " + std::string(limits::adjective_of(b.per)) + " budget");
  }
}

void admission::team_admitted(limits::limiter& l) {
  limiter_ = &l;
  for (const auto& c : team_charges_) held_.push_back(c);
}

std::vector<limits::charge> admission::deployment_charges(std::string_view deployment, const rate_limits& r) const {
  std::vector<limits::charge> out;
  const std::string tag = "dep:" + std::string(deployment);
  if (r.rpm)
    out.push_back({bucket(tag, ":rpm"), "deployment:rpm", limits::unit::requests, static_cast<double>(*r.rpm), 1});
  if (r.tpm)
    out.push_back({bucket(tag, ":tpm"), "deployment:tpm", limits::unit::tokens, static_cast<double>(*r.tpm),
                   static_cast<double>(reserved_)});
  if (r.max_parallel)
    out.push_back({bucket(tag, ":parallel"), "deployment:max_parallel", limits::unit::parallel,
                   static_cast<double>(*r.max_parallel), 1});
  return out;
}

void admission::admitted(limits::limiter& l, const limits::decision& d) {
  limiter_ = d.taken_by != nullptr ? d.taken_by : &l;
  // The tightest bucket of each kind speaks for the request in the headers.
  std::optional<std::size_t> requests, tokens;
  for (std::size_t i = 0; i < charges_.size() && i < d.states.size(); ++i) {
    const auto& c = charges_[i];
    const double left = d.states[i].remaining / c.amount;
    if (c.kind == limits::unit::requests &&
        (!requests || left < d.states[*requests].remaining / charges_[*requests].amount))
      requests = i;
    if (c.kind == limits::unit::tokens && (!tokens || left < d.states[*tokens].remaining / charges_[*tokens].amount))
      tokens = i;
  }
  if (requests) {
    limit_requests_ = whole_number(charges_[*requests].amount);
    remaining_requests_ = whole_number(d.states[*requests].remaining);
    reset_requests_ = reset_duration(d.states[*requests].reset);
  }
  if (tokens) {
    limit_tokens_ = whole_number(charges_[*tokens].amount);
    remaining_tokens_ = whole_number(d.states[*tokens].remaining);
    reset_tokens_ = reset_duration(d.states[*tokens].reset);
  }
  // Held from here on (tokens to settle, slots to release): moved, since
  // each bucket name is a string of its own.
  held_.reserve(held_.size() + charges_.size());
  for (auto& c : charges_) held_.push_back(std::move(c));
  charges_.clear();
}

void admission::hold_deployment(limits::limiter& l, std::vector<limits::charge> charges) {
  limiter_ = &l;
  refused_label_.clear();
  for (auto& c : charges) held_.push_back(std::move(c));
}

gateway_error admission::refusal(const limits::decision& d, std::span<const limits::charge> charges) {
  if (d.unavailable) {
    // limits.on_store_error: fail_closed, and Redis cannot be asked.
    gateway_error e;
    e.status = 503;
    e.type = "api_error";
    e.code = "rate_limiter_unavailable";
    e.message =
        "The gateway cannot check this key's rate limits right now (its shared store is unreachable); "
        "try again shortly.";
    // Moved in, not assigned from the literal: GCC 12's release build warns
    // (-Wrestrict, a known false positive of string::_M_replace) on that.
    e.retry_after = std::string(1, '1');
    return e;
  }
  const limits::charge& c = charges[d.refused];
  refused_label_ = std::string(c.label);
  if (c.kind == limits::unit::spend) return budget_refusal(c, d.states[d.refused]);
  gateway_error e;
  e.status = 429;
  e.type = "rate_limit_exceeded";
  e.code = "gateway_rate_limit";
  const std::string allows = whole(c.amount) + " " + std::string(per_minute_unit(c.kind));
  if (d.never_fits) {
    e.message = "This request needs about " + whole(c.cost) + " tokens, more than " + refused_label_ + " allows (" +
                allows + "): it can never be admitted. Lower max_tokens or shorten the prompt.";
    return e;
  }
  const long long seconds = std::max<long long>(1, (d.retry_after.count() + 999) / 1000);
  e.retry_after = std::to_string(seconds);
  e.message = "Rate limit of the gateway reached: " + refused_label_ + " allows " + allows + ". Retry in " +
              e.retry_after + " s.";
  return e;
}

gateway_error admission::budget_refusal(const limits::charge& c, const limits::bucket_state& s) const {
  const auto info = std::find_if(budgets_.begin(), budgets_.end(), [&](const auto& b) { return b.bucket == c.bucket; });
  const std::string name = info != budgets_.end() ? info->name : std::string("a budget");
  const auto ends = info != budgets_.end() ? info->ends : std::chrono::system_clock::now() + c.window;
  char money[96];
  std::snprintf(money, sizeof money, "$%.2f of $%.2f is spent", std::max(0.0, c.amount - s.remaining), c.amount);
  gateway_error e;
  e.status = 429;
  e.type = "insufficient_quota";
  e.code = "budget_exceeded";
  e.message = "Budget exceeded: " + name + " (" + money + (c.cost > 0 ? ", this request may cost more" : "") +
              "). It resets at " + rfc3339_utc(ends) + ".";
  e.retry_after = std::to_string(std::max<long long>(1, (c.window.count() + 999) / 1000));
  return e;
}

void admission::add_headers(http::response_headers& h) const {
  if (!limit_requests_.empty()) {
    h.add("x-ratelimit-limit-requests", limit_requests_.view());
    h.add("x-ratelimit-remaining-requests", remaining_requests_.view());
    h.add("x-ratelimit-reset-requests", reset_requests_.view());
  }
  if (!limit_tokens_.empty()) {
    h.add("x-ratelimit-limit-tokens", limit_tokens_.view());
    h.add("x-ratelimit-remaining-tokens", remaining_tokens_.view());
    h.add("x-ratelimit-reset-tokens", reset_tokens_.view());
  }
  if (!refused_label_.empty()) h.add("x-llmgw-limit", refused_label_);
}

void admission::settle(std::optional<std::uint64_t> used, std::optional<double> usd) {
  if (settled_ || limiter_ == nullptr) return;
  settled_ = true;
  const double delta = used ? static_cast<double>(*used) - static_cast<double>(reserved_) : 0.0;
  const double usd_delta = usd ? *usd - reserved_usd_ : 0.0;
  for (const auto& c : held_) {
    if (c.kind == limits::unit::parallel) {
      limiter_->release(c);
    } else if (c.kind == limits::unit::tokens && delta != 0) {
      limiter_->adjust(c, delta);
    } else if (c.kind == limits::unit::spend && usd_delta != 0) {
      limiter_->adjust(c, usd_delta);
    }
  }
}

}  // namespace llmgw::api
