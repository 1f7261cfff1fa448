#pragma once
// A worker's bound on the bytes it holds for request and response bodies.
// One budget per worker thread (not thread-safe, like everything a worker
// owns): the server charges request bodies to it, the upstream side charges
// response bodies it buffers, and a charge that would pass the limit fails,
// so a burst of large bodies is refused instead of exhausting memory.
#include <algorithm>
#include <cstddef>
#include <utility>

namespace llmgw {

class memory_budget {
 public:
  explicit memory_budget(std::size_t limit) : limit_(limit) {}
  memory_budget(const memory_budget&) = delete;
  memory_budget& operator=(const memory_budget&) = delete;

  bool try_charge(std::size_t n) {
    if (n > limit_ - std::min(used_, limit_)) return false;
    used_ += n;
    return true;
  }
  void release(std::size_t n) { used_ -= std::min(n, used_); }

  std::size_t used() const { return used_; }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::size_t used_ = 0;
};

// What one buffer has charged to a budget; grows with the buffer and gives
// everything back when reset or destroyed.
class budget_charge {
 public:
  budget_charge() = default;
  explicit budget_charge(memory_budget* budget) : budget_(budget) {}
  budget_charge(budget_charge&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), charged_(std::exchange(o.charged_, 0)) {}
  budget_charge& operator=(budget_charge&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = std::exchange(o.budget_, nullptr);
      charged_ = std::exchange(o.charged_, 0);
    }
    return *this;
  }
  ~budget_charge() { reset(); }

  // Makes the charge at least `total` bytes; false (and unchanged) when the
  // budget cannot take it. Without a budget every charge succeeds.
  bool grow_to(std::size_t total) {
    if (total <= charged_ || !budget_) return true;
    if (!budget_->try_charge(total - charged_)) return false;
    charged_ = total;
    return true;
  }
  void reset() {
    if (budget_) budget_->release(charged_);
    charged_ = 0;
  }
  std::size_t charged() const { return charged_; }

 private:
  memory_budget* budget_ = nullptr;
  std::size_t charged_ = 0;
};

}  // namespace llmgw
