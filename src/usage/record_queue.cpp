#include "usage/record_queue.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace llmgw::usage {

namespace {

constexpr std::size_t k_block_records = 64;

std::size_t rounded(std::size_t capacity) { return std::bit_ceil(std::max<std::size_t>(capacity, 2)); }

}  // namespace

// A block is at most a quarter of the queue: records read from a block
// still being filled free their slots only with the rest of the block, so a
// small queue keeps at least three quarters of its room.
record_queue::record_queue(std::size_t capacity, std::function<void()> on_watermark, std::size_t watermark)
    : block_records_(std::clamp<std::size_t>(rounded(capacity) / 4, 1, k_block_records)),
      max_blocks_(rounded(capacity) / block_records_),
      watermark_(watermark == 0 ? rounded(capacity) / 4 : watermark),
      on_watermark_(std::move(on_watermark)),
      published_(max_blocks_),
      spare_(max_blocks_) {
  blocks_.reserve(max_blocks_);
  warm_.reserve(max_blocks_);
}

record_queue::~record_queue() = default;

bool record_queue::start_block() {
  // Blocks come back in the order they were finished; stacked, the one
  // finished last (still in cache) is used first.
  for (block* b = nullptr; spare_.pop(b);) warm_.push_back(b);
  block* next = nullptr;
  if (!warm_.empty()) {
    next = warm_.back();
    warm_.pop_back();
  } else if (blocks_.size() < max_blocks_) {
    blocks_.push_back(std::make_unique<block>(block_records_));
    next = blocks_.back().get();
  } else {
    return false;
  }
  // The consumer gave this block back after reading all of it: nobody
  // else looks at it until it is published again.
  next->produced = 0;
  next->ready.store(0, std::memory_order_relaxed);
  published_.push(next);
  current_ = next;
  return true;
}

}  // namespace llmgw::usage
