#pragma once
// A thread's cache of freed heap blocks of up to 16 KB, by size class, for
// the program's operator new and delete (src/global_new.cpp).
//
// Why: a request runs through some twenty coroutines (session, pipeline
// stages, upstream calls), each a heap-allocated frame, the largest 2–4 KB.
// Asio recycles frames of at most 1 KB; glibc keeps freed blocks of up to
// 1 KB per thread, but a larger one goes through its shared bins (a search
// on malloc, a merge with free neighbours on free). Kept here, a block of
// any of these sizes comes back in a few instructions, and the frame's
// delete, which is told no size, needs no lookup of one beyond the block's
// usable size.
//
// Small blocks too: glibc keeps 7 freed blocks of a size per thread, and a
// batch of requests that move together (some twenty whose Redis replies
// came in one read) allocates and frees more than that of each size (the
// strings and nodes of their commands and replies); the rest went through
// its shared bins, and merging them back cost about 2 µs a request
// (perf, Redis-backed limits and cache).
//
// A block joins the class its usable size fills (never less than what was
// asked), so any block handed out holds its class's size. What is kept is
// bounded per class and in bytes; the rest goes back to malloc.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace llmgw {

class block_cache {
 public:
  static constexpr std::size_t k_tiny_step = 16;  // classes of 16 to 64 bytes
  static constexpr std::size_t k_small = 64;      // from here, classes 64 bytes apart
  static constexpr std::size_t k_small_step = 64;
  static constexpr std::size_t k_medium = 1024;  // from here, classes 512 bytes apart
  static constexpr std::size_t k_step = 512;
  static constexpr std::size_t k_largest = 16384;
  static constexpr std::size_t k_classes =
      k_small / k_tiny_step + (k_medium - k_small) / k_small_step + (k_largest - k_medium) / k_step;
  // Requests that wait on one shared reply (a Redis batch) resume, and end,
  // together: a class must hold a whole batch's frames or the rest go back
  // to glibc's shared bins and are merged there. At 32 a class and 256 KB,
  // glibc's malloc and free were 8% of a worker's samples with limits and
  // cache in Redis at 64 connections; at 128 and 4 MB, 2%. What is kept
  // was in use at the peak a moment before: it adds to no peak, it is only
  // held on for the next one.
  static constexpr std::size_t k_per_class = 128;
  static constexpr std::size_t k_max_bytes = 4096 * 1024;

  // Whether a request of `size` bytes is served from the classes.
  static constexpr bool covers(std::size_t size) { return size >= 1 && size <= k_largest; }
  // The bytes of the class serving `size` (covers(size)): what to allocate.
  static constexpr std::size_t class_bytes(std::size_t size) { return bytes_of(class_serving(size)); }

  // A kept block of at least `size` bytes (covers(size)), or nullptr.
  void* take(std::size_t size) {
    const std::size_t c = class_serving(size);
    if (counts_[c] == 0) return nullptr;
    bytes_ -= bytes_of(c);
    return blocks_[c][--counts_[c]];
  }

  // Keeps a freed block whose usable size is `usable`; false when it is
  // outside the classes or its class or the cache is full (free it then).
  bool keep(void* block, std::size_t usable) {
    // A block made for a larger size than the classes' goes back whole.
    if (usable < k_tiny_step || usable >= k_largest + k_step) return false;
    const std::size_t c = class_filled(std::min(usable, k_largest));
    const std::size_t bytes = bytes_of(c);
    if (counts_[c] == k_per_class || bytes_ + bytes > k_max_bytes) return false;
    blocks_[c][counts_[c]++] = block;
    bytes_ += bytes;
    return true;
  }

  // Hands every kept block to `release` (which frees it) and forgets it.
  template <typename Release>
  void clear(Release release) {
    for (std::size_t c = 0; c < k_classes; ++c) {
      while (counts_[c] > 0) release(blocks_[c][--counts_[c]]);
    }
    bytes_ = 0;
  }

  std::size_t kept_bytes() const { return bytes_; }

 private:
  static constexpr std::size_t k_tiny_classes = k_small / k_tiny_step;
  static constexpr std::size_t k_small_classes = k_tiny_classes + (k_medium - k_small) / k_small_step;
  // The smallest class of at least `size` bytes (size >= 1).
  static constexpr std::size_t class_serving(std::size_t size) {
    if (size <= k_small) return (size - 1) / k_tiny_step;
    if (size <= k_medium) return k_tiny_classes + (size - k_small - 1) / k_small_step;
    return k_small_classes + (size - k_medium - 1) / k_step;
  }
  // The largest class of at most `usable` bytes (usable >= k_tiny_step).
  static constexpr std::size_t class_filled(std::size_t usable) {
    if (usable < k_small + k_small_step) return std::min(usable, k_small) / k_tiny_step - 1;
    if (usable < k_medium + k_step) return k_tiny_classes + (std::min(usable, k_medium) - k_small) / k_small_step - 1;
    return k_small_classes + (usable - k_medium) / k_step - 1;
  }
  static constexpr std::size_t bytes_of(std::size_t c) {
    if (c < k_tiny_classes) return (c + 1) * k_tiny_step;
    if (c < k_small_classes) return k_small + (c - k_tiny_classes + 1) * k_small_step;
    return k_medium + (c - k_small_classes + 1) * k_step;
  }
  std::array<std::array<void*, k_per_class>, k_classes> blocks_{};
  std::array<std::uint8_t, k_classes> counts_{};
  std::size_t bytes_ = 0;
};

}  // namespace llmgw
