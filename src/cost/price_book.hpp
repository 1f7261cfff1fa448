#pragma once
// The current price catalog, shared by every worker and replaced whole on a
// reload. A worker keeps its own copy of the pointer and compares version()
// (one atomic load) per request; only after a reload does it take the new
// snapshot, so the request path neither locks nor touches a shared
// reference count.
#include <atomic>
#include <cstdint>
#include <memory>

#include "cost/price_catalog.hpp"

namespace llmgw::cost {

class price_book {
 public:
  explicit price_book(std::shared_ptr<const price_catalog> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const price_catalog> snapshot() const { return current_.load(std::memory_order_acquire); }
  // Changes after each publish().
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const price_catalog> next) {
    current_.store(std::move(next), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::shared_ptr<const price_catalog>> current_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace llmgw::cost
