#pragma once
// The limiter behind the admit stage: token buckets with continuous refill,
// decided all or nothing for every dimension of a request at once. Backends:
// memory (shared by the workers of one process, limits/memory_limiter.hpp)
// and Redis (one Lua script, shared by every instance). Budgets are buckets
// too (`unit::spend`), so a request's limits and its key's budget are
// decided together.
#include <boost/asio/awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::limits {

enum class unit : std::uint8_t {
  requests,  // a bucket of per_minute requests, refilled continuously
  tokens,    // a bucket of per_minute tokens, refilled continuously
  parallel,  // at most per_minute requests in flight (no refill: released)
  spend,     // USD spent in one budget period: no refill; the bucket's name
             // holds the period, so the next period starts a fresh one
};

// One dimension a request is charged on.
struct charge {
  std::string bucket;      // the store's name for it; all of one key's share "{key_id}"
  std::string_view label;  // "key:rpm", "key-model:tpm", "deployment:rpm"…: errors and x-llmgw-limit
  unit kind = unit::requests;
  double amount = 0;  // the per-minute amount (burst = it), or the in-flight bound
  double cost = 0;    // what this request takes: 1 request, its reserved tokens, its estimated USD
  // spend: until the period ends (the bucket is forgotten after it).
  std::chrono::milliseconds window{0};
};

// A bucket after the decision, for the x-ratelimit-* headers.
struct bucket_state {
  double remaining = 0;
  std::chrono::milliseconds reset{0};  // until it is full again
};

struct decision {
  bool admitted = true;
  // The charge that ran out (index into the charges), when refused.
  std::size_t refused = 0;
  // It can never be admitted: its cost exceeds the bucket's whole amount.
  bool never_fits = false;
  std::chrono::milliseconds retry_after{0};
  // One per charge, after the decision. Inline room for the usual handful
  // (a key's rpm/tpm/parallel, its model's, a budget): no allocation per request.
  boost::container::small_vector<bucket_state, 8> states;
  // The shared store could not be asked and the policy is fail_closed: the
  // request is refused with 503, not 429.
  bool unavailable = false;
  // The limiter that really took the charges, when not the one asked (the
  // Redis limiter's in-memory fallback): settle with it.
  class limiter* taken_by = nullptr;
};

class limiter {
 public:
  virtual ~limiter() = default;
  // Takes every charge or none, atomically with respect to every other
  // caller of this limiter (all workers, and with Redis all instances).
  virtual boost::asio::awaitable<decision> take(std::span<const charge> charges) = 0;
  // Settles a token reservation: `delta` > 0 takes more, < 0 gives back
  // (never above the bucket's amount). A bucket may go below zero: the
  // requests after it wait until the refill has paid the debt.
  virtual void adjust(const charge& c, double delta) = 0;
  // Gives back one in-flight slot of a `parallel` charge.
  virtual void release(const charge& c) = 0;
};

}  // namespace llmgw::limits
