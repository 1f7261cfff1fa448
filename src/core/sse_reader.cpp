#include "core/sse_reader.hpp"

#include <cstdint>
#include <limits>

#include "core/swar.hpp"

namespace llmgw {
namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

std::optional<std::uint64_t> parse_retry(std::string_view value) {
  if (value.empty()) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    // Saturate: a huge retry is still "a long time", not an error.
    n = n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10 ? std::numeric_limits<std::uint64_t>::max()
                                                                     : n * 10 + digit;
  }
  return n;
}

// The first '\n' or '\r' in [from, size), or size. Eight bytes per step: a
// stream's lines are a few hundred bytes, and a byte loop testing two values
// was most of the relay's parsing time.
std::size_t find_line_end(const char* data, std::size_t from, std::size_t size) {
  std::size_t i = from;
  if constexpr (swar::available) {
    for (; i + 8 <= size; i += 8) {
      const std::uint64_t w = swar::load(data + i);
      const std::uint64_t hit = swar::bytes_equal(w, '\n') | swar::bytes_equal(w, '\r');
      if (hit != 0) return i + swar::first_marked(hit);
    }
  }
  while (i < size && data[i] != '\n' && data[i] != '\r') ++i;
  return i;
}

}  // namespace

void sse_reader::feed(std::string_view bytes) {
  if (failed_ || eof_ || bytes.empty()) return;
  if (block_start_ > 0) {
    // Drop the blocks already returned; the current block moves to the front.
    buffer_.erase(0, block_start_);
    line_start_ -= block_start_;
    scan_ -= block_start_;
    block_start_ = 0;
  }
  buffer_.append(bytes);
}

bool sse_reader::skip_bom() {
  if (bom_checked_) return true;
  const std::string_view head = std::string_view(buffer_).substr(0, k_bom.size());
  if (head.size() < k_bom.size() && k_bom.substr(0, head.size()) == head && !eof_) {
    return false;  // could still become a BOM
  }
  bom_checked_ = true;
  if (head == k_bom) line_start_ = scan_ = k_bom.size();
  return true;
}

bool sse_reader::too_large(std::size_t block_bytes) {
  if (block_bytes > max_event_bytes_) failed_ = true;
  return failed_;
}

bool sse_reader::next(sse_event& out) {
  if (failed_ || !skip_bom()) return false;
  const std::size_t size = buffer_.size();
  const char* const data = buffer_.data();
  for (;;) {
    const std::size_t end = find_line_end(data, scan_, size);
    if (end == size) {
      scan_ = size;
      too_large(size - block_start_);
      return false;
    }
    std::size_t after = end + 1;
    if (data[end] == '\r') {
      if (after == size && !eof_) {
        // "\r" then maybe "\n": one line end or two? Wait for the next byte.
        scan_ = end;
        too_large(size - block_start_);
        return false;
      }
      if (after < size && data[after] == '\n') ++after;
    }
    const std::size_t begin = line_start_;
    line_start_ = scan_ = after;
    if (end != begin) {
      process_line(begin, end);
      continue;
    }
    // A blank line ends the block.
    const std::size_t block_bytes = after - block_start_;
    if (too_large(block_bytes)) return false;
    const std::string_view block(data + block_start_, block_bytes);
    out.raw = block;
    out.event = block.substr(event_begin_, event_size_);
    out.id = block.substr(id_begin_, id_size_);
    out.has_id = has_id_;
    out.has_data = data_lines_ > 0;
    out.data = data_lines_ == 1  ? block.substr(data_begin_, data_size_)
               : data_lines_ > 1 ? std::string_view(joined_data_)
                                 : std::string_view();
    out.retry = retry_;
    block_start_ = after;
    reset_block();
    return true;
  }
}

void sse_reader::process_line(std::size_t begin, std::size_t end) {
  const std::string_view line(buffer_.data() + begin, end - begin);
  if (line.front() == ':') return;  // comment
  const std::size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  std::size_t value_begin = colon == std::string_view::npos ? line.size() : colon + 1;
  if (value_begin < line.size() && line[value_begin] == ' ') ++value_begin;
  const std::string_view value = line.substr(value_begin);
  const std::size_t offset = begin + value_begin - block_start_;  // of the value, from the block start

  if (name == "data") {
    ++data_lines_;
    if (data_lines_ == 1) {
      data_begin_ = offset;
      data_size_ = value.size();
      return;
    }
    if (data_lines_ == 2) {
      joined_data_.assign(buffer_, block_start_ + data_begin_, data_size_);
    }
    joined_data_.push_back('\n');
    joined_data_.append(value);
  } else if (name == "event") {
    event_begin_ = offset;
    event_size_ = value.size();
  } else if (name == "id") {
    if (value.find('\0') != std::string_view::npos) return;
    id_begin_ = offset;
    id_size_ = value.size();
    has_id_ = true;
  } else if (name == "retry") {
    if (auto n = parse_retry(value)) retry_ = n;
  }
}

void sse_reader::reset_block() {
  event_begin_ = event_size_ = 0;
  id_begin_ = id_size_ = 0;
  data_begin_ = data_size_ = 0;
  data_lines_ = 0;
  has_id_ = false;
  retry_.reset();
}

}  // namespace llmgw
