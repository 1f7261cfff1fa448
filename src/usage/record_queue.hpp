#pragma once
// A bounded single-producer single-consumer ring of finished records: one
// per worker, filled by that worker's thread and emptied by the writer
// thread. Pushing never blocks and never allocates once a slot's buffers
// have grown: the producer fills a slot in place, and a full ring drops the
// record and counts it, so a slow log or database never holds up a response.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "usage/request_record.hpp"

namespace llmgw::usage {

class record_queue {
 public:
  // `capacity` is rounded up to a power of two. `on_watermark` runs on the
  // producer's thread when a push makes `watermark` records pending (0: at a
  // quarter of the capacity), so a burst wakes the consumer before its timer.
  explicit record_queue(std::size_t capacity, std::function<void()> on_watermark = {}, std::size_t watermark = 0);
  record_queue(const record_queue&) = delete;
  record_queue& operator=(const record_queue&) = delete;

  // Producer: `fill(request_record&)` writes the record into a free slot
  // (which still holds an older record's values: assign every field).
  // Returns false, and counts a drop, when the ring is full.
  template <class Fill>
  bool try_push(Fill&& fill) {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::uint64_t pending = head - tail_.load(std::memory_order_acquire);
    if (pending >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    fill(slots_[head & mask_]);
    head_.store(head + 1, std::memory_order_release);
    if (pending + 1 == watermark_ && on_watermark_) on_watermark_();
    return true;
  }

  // Consumer: calls `f(request_record&)` on every record pending now, oldest
  // first, and frees their slots (in steps, so a slow consumer gives the
  // producer room as it goes). Returns how many records it saw.
  template <class F>
  std::size_t consume(F&& f) {
    std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    const std::uint64_t first = tail;
    while (tail != head) {
      f(slots_[tail & mask_]);
      ++tail;
      if ((tail & (k_release_step - 1)) == 0) tail_.store(tail, std::memory_order_release);
    }
    tail_.store(tail, std::memory_order_release);
    return static_cast<std::size_t>(tail - first);
  }

  // Records refused because the ring was full, since it was made (any thread).
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  // Records waiting (any thread; a snapshot).
  std::size_t pending() const {
    return static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
  }

 private:
  static constexpr std::uint64_t k_release_step = 256;
  // Producer and consumer each write their own index: keep them on separate
  // cache lines so neither invalidates the other's on every record.
  static constexpr std::size_t k_line = 64;

  std::size_t capacity_;
  std::uint64_t mask_;
  std::size_t watermark_;
  std::unique_ptr<request_record[]> slots_;
  std::function<void()> on_watermark_;
  alignas(k_line) std::atomic<std::uint64_t> head_{0};  // next slot to fill (producer)
  alignas(k_line) std::atomic<std::uint64_t> tail_{0};  // next slot to read (consumer)
  alignas(k_line) std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace llmgw::usage
