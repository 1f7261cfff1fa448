#pragma once
// Reused response buffers for the mock's hot path. A buffer is held across
// a co_await (the write of the response), so it cannot be one thread-wide
// string; each thread keeps a free list instead. The list is reference
// counted by the leases: a coroutine frame destroyed after its thread has
// exited (an io_context torn down from another thread) still returns its
// buffer safely.
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llmgw::mock {

class buffer_pool {
 public:
  class lease {
   public:
    explicit lease(std::shared_ptr<buffer_pool> pool) : pool_(std::move(pool)) {
      if (!pool_->free_.empty()) {
        s_ = std::move(pool_->free_.back());
        pool_->free_.pop_back();
      }
      s_.clear();
    }
    lease(lease&&) = default;
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (pool_ && s_.capacity() <= k_max_kept_capacity && pool_->free_.size() < k_max_kept)
        pool_->free_.push_back(std::move(s_));
    }
    std::string& operator*() { return s_; }
    std::string* operator->() { return &s_; }

   private:
    std::shared_ptr<buffer_pool> pool_;
    std::string s_;
  };

  // A buffer from the calling thread's pool.
  static lease take() {
    thread_local std::shared_ptr<buffer_pool> pool = std::make_shared<buffer_pool>();
    return lease(pool);
  }

 private:
  static constexpr std::size_t k_max_kept_capacity = 256 * 1024;
  static constexpr std::size_t k_max_kept = 256;
  std::vector<std::string> free_;
};

}  // namespace llmgw::mock
