#pragma once
// The current price catalog, shared by every worker and replaced whole on a
// reload. A worker keeps its own copy of the pointer and compares version()
// (one atomic load) per request; only after a reload does it take the new
// snapshot, so the request path neither locks nor touches a shared
// reference count. The pointer itself sits behind a mutex rather than in a
// std::atomic<std::shared_ptr>: GCC 12's lock-bit implementation of the
// latter is invisible to ThreadSanitizer (reported as a race), and the
// mutex is taken only on a reload and by a worker's first request after it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "cost/price_catalog.hpp"

namespace llmgw::cost {

class price_book {
 public:
  explicit price_book(std::shared_ptr<const price_catalog> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const price_catalog> snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  // Changes after each publish().
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const price_catalog> next) {
    {
      std::lock_guard lock(mutex_);
      current_ = std::move(next);
    }
    version_.fetch_add(1, std::memory_order_acq_rel);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const price_catalog> current_;  // guarded by mutex_
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace llmgw::cost
