#include "api/attempt_sequence.hpp"

#include <algorithm>

namespace llmgw::api {

attempt_sequence::attempt_sequence(const route& r, unsigned max_attempts_without_policy,
                                   const deployment_health& health, const balancer& load, clock::time_point started,
                                   std::uint64_t random)
    : route_(r),
      policy_(r.policy),
      health_(health),
      load_(load),
      started_(started),
      random_(random),
      max_(r.policy != nullptr ? r.policy->max_attempts
                               : std::min<std::size_t>(std::max(1u, max_attempts_without_policy), r.attempts.size())),
      asked_(r.attempts.size(), 0),
      excluded_(r.attempts.size(), false) {}

bool attempt_sequence::eligible(std::size_t i) const {
  if (excluded_[i]) return false;
  const attempt_kind k = route_.attempts[i].kind;
  if (phase_ == attempt_kind::own) return k == attempt_kind::own || k == attempt_kind::fallback;
  return k == phase_;
}

bool attempt_sequence::switch_to(attempt_kind kind) {
  for (const auto& a : route_.attempts) {
    if (a.kind == kind) {
      phase_ = kind;
      return true;
    }
  }
  return false;
}

void attempt_sequence::exclude(std::size_t index) {
  if (index < excluded_.size()) excluded_[index] = true;
}

std::chrono::milliseconds attempt_sequence::backoff(unsigned asked) {
  const auto base = std::min<long long>(k_backoff_cap.count(), k_backoff_base.count() << std::min(asked - 1, 10u));
  random_ = random_ * 6364136223846793005ULL + 1442695040888963407ULL;  // the next of a small LCG
  const double jitter = 0.5 + static_cast<double>(random_ >> 11) / static_cast<double>(1ULL << 53);  // [0.5, 1.5)
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base) * jitter));
}

std::optional<attempt_sequence::step> attempt_sequence::next(clock::time_point now) {
  if (made_ >= max_) return std::nullopt;
  const std::size_t n = route_.attempts.size();
  if (policy_ == nullptr) {
    // Each deployment once, in the route's order.
    if (made_ >= n) return std::nullopt;
    asked_[made_] = 1;
    return step{made_++, std::chrono::milliseconds(0)};
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
  const bool budgeted = policy_->retry_budget.count() > 0;
  if (budgeted && elapsed >= policy_->retry_budget) return std::nullopt;
  const std::chrono::milliseconds may_wait = budgeted ? policy_->retry_budget - elapsed : k_max_wait_without_budget;

  std::optional<std::size_t> pick;
  if (made_ == 0) {
    pick = load_.first_pick(route_, health_, now, random_);
    if (!health_.ready(route_.attempts[*pick].deployment, now)) {
      // Nothing is ready: the one back first, at once.
      for (std::size_t i = 0; i < n; ++i) {
        if (health_.ready_at(route_.attempts[i].deployment) < health_.ready_at(route_.attempts[*pick].deployment))
          pick = i;
      }
    }
  } else {
    // The ready deployment asked least often by this request, in failover order.
    for (std::size_t i = 0; i < n; ++i) {
      if (!eligible(i) || !health_.ready(route_.attempts[i].deployment, now)) continue;
      if (!pick || asked_[i] < asked_[*pick]) pick = i;
    }
    if (!pick) {
      // All resting: the one back first.
      for (std::size_t i = 0; i < n; ++i) {
        if (!eligible(i)) continue;
        if (!pick ||
            health_.ready_at(route_.attempts[i].deployment) < health_.ready_at(route_.attempts[*pick].deployment))
          pick = i;
      }
    }
  }
  if (!pick) return std::nullopt;  // every deployment refused the request itself

  std::chrono::milliseconds wait{0};
  if (made_ > 0) {
    const auto back = health_.ready_at(route_.attempts[*pick].deployment);
    if (back > now) wait = std::chrono::ceil<std::chrono::milliseconds>(back - now);
    if (asked_[*pick] > 0) wait = std::max(wait, backoff(asked_[*pick]));
    if (wait > may_wait) return std::nullopt;  // the vendor's time, or the budget, is up
  }
  ++asked_[*pick];
  ++made_;
  return step{*pick, wait};
}

std::optional<std::size_t> attempt_sequence::hedge_pick(std::size_t running, clock::time_point now) {
  if (policy_ == nullptr || made_ >= max_) return std::nullopt;
  if (policy_->retry_budget.count() > 0 && now - started_ >= policy_->retry_budget) return std::nullopt;
  const std::size_t busy = route_.attempts[running].deployment;
  std::optional<std::size_t> pick;
  for (std::size_t i = 0; i < route_.attempts.size(); ++i) {
    const std::size_t d = route_.attempts[i].deployment;
    if (asked_[i] > 0 || d == busy || !eligible(i) || !health_.ready(d, now)) continue;
    // The quickest of those not asked yet (a weight of 0 does not keep a deployment from hedging).
    if (!pick || load_.latency_score(d, now) < load_.latency_score(route_.attempts[*pick].deployment, now)) pick = i;
  }
  if (!pick) return std::nullopt;
  ++asked_[*pick];
  ++made_;
  return pick;
}

}  // namespace llmgw::api
