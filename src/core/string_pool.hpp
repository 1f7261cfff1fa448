#pragma once
// Reusable strings for per-request scratch space. Coroutines on one worker
// interleave, so a request cannot borrow a single worker-wide buffer across
// a co_await; it takes one from this free list instead and gives it back
// when done. After warm-up no request allocates for its buffers.
#include <string>
#include <utility>
#include <vector>

namespace llmgw {

class string_pool {
 public:
  class lease {
   public:
    lease(string_pool& pool, std::string s) : pool_(&pool), s_(std::move(s)) {}
    lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), s_(std::move(o.s_)) {}
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (pool_) pool_->give_back(std::move(s_));
    }
    std::string& operator*() { return s_; }
    std::string* operator->() { return &s_; }

   private:
    string_pool* pool_;
    std::string s_;
  };

  lease take() {
    if (free_.empty()) return lease(*this, std::string());
    std::string s = std::move(free_.back());
    free_.pop_back();
    s.clear();
    return lease(*this, std::move(s));
  }

 private:
  // Buffers that grew very large (a 10 MiB body) are not kept.
  static constexpr std::size_t k_max_kept_capacity = 1024 * 1024;
  static constexpr std::size_t k_max_kept = 1024;

  void give_back(std::string s) {
    if (s.capacity() <= k_max_kept_capacity && free_.size() < k_max_kept) free_.push_back(std::move(s));
  }
  std::vector<std::string> free_;
};

}  // namespace llmgw
