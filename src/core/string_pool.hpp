#pragma once
// Reusable strings for per-request scratch space. Coroutines on one worker
// interleave, so a request cannot borrow a single worker-wide buffer across
// a co_await; it takes one from this free list instead and gives it back
// when done. After warm-up no request allocates for its buffers.
//
// What the pool keeps is bounded twice: a string that grew past
// max_string_capacity (a 10 MiB body) is freed rather than kept, and the
// capacities of all kept strings together stay under max_kept_bytes, so a
// burst of large responses does not leave the worker holding their buffers.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace llmgw {

class string_pool {
 public:
  static constexpr std::size_t default_max_string_capacity = 1024 * 1024;
  static constexpr std::size_t default_max_kept_bytes = 16 * 1024 * 1024;
  static constexpr std::size_t max_kept_strings = 1024;

  // A string of the pool, taken on first use: a request path that never
  // touches one of its buffers (a JSON answer has no use for a stream's)
  // costs the pool nothing for it.
  class lease {
   public:
    explicit lease(string_pool& pool) : pool_(&pool) {}
    lease(lease&& o) noexcept
        : pool_(std::exchange(o.pool_, nullptr)), taken_(std::exchange(o.taken_, false)), s_(std::move(o.s_)) {}
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (pool_ && taken_) pool_->give_back(std::move(s_));
    }
    // Gives the string back now: the lease is empty after (for a lease
    // held by something long-lived that no longer needs its string).
    void release() {
      if (pool_ && taken_) pool_->give_back(std::move(s_));
      pool_ = nullptr;
      taken_ = false;
      s_ = std::string();
    }
    std::string& operator*() { return get(); }
    std::string* operator->() { return &get(); }

   private:
    std::string& get() {
      if (!taken_ && pool_) {
        taken_ = true;
        pool_->take_into(s_);
      }
      return s_;
    }
    string_pool* pool_;
    bool taken_ = false;
    std::string s_;
  };

  explicit string_pool(std::size_t max_string_capacity = default_max_string_capacity,
                       std::size_t max_kept_bytes = default_max_kept_bytes)
      : max_string_capacity_(max_string_capacity), max_kept_bytes_(max_kept_bytes) {}
  string_pool(const string_pool&) = delete;
  string_pool& operator=(const string_pool&) = delete;

  lease take() { return lease(*this); }

  // Heap bytes held by the strings waiting in the pool.
  std::size_t kept_bytes() const { return kept_bytes_; }
  std::size_t kept_strings() const { return free_.size(); }

 private:
  // `s` (empty, never used) becomes the most recently given back string.
  void take_into(std::string& s) {
    if (free_.empty()) return;
    s = std::move(free_.back());
    free_.pop_back();
    kept_bytes_ -= heap_bytes(s);
    s.clear();
  }

  // The small-string buffer lives inside the object: it costs the pool
  // nothing on the heap, so it is not counted.
  static std::size_t heap_bytes(const std::string& s) {
    return s.capacity() > std::string().capacity() ? s.capacity() : 0;
  }

  void give_back(std::string s) {
    const std::size_t bytes = heap_bytes(s);
    if (bytes > max_string_capacity_ || bytes > max_kept_bytes_ - kept_bytes_ || free_.size() >= max_kept_strings)
      return;  // freed here
    kept_bytes_ += bytes;
    free_.push_back(std::move(s));
  }

  std::size_t max_string_capacity_;
  std::size_t max_kept_bytes_;
  std::size_t kept_bytes_ = 0;
  std::vector<std::string> free_;
};

}  // namespace llmgw
