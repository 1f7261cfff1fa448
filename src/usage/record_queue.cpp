#include "usage/record_queue.hpp"

#include <bit>
#include <utility>

namespace llmgw::usage {

record_queue::record_queue(std::size_t capacity, std::function<void()> on_watermark, std::size_t watermark)
    : capacity_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity)),
      mask_(capacity_ - 1),
      watermark_(watermark == 0 ? capacity_ / 4 : watermark),
      slots_(std::make_unique<request_record[]>(capacity_)),
      on_watermark_(std::move(on_watermark)) {}

}  // namespace llmgw::usage
