#pragma once
// An incremental, I/O-free reader of text/event-stream (WHATWG HTML
// "server-sent events"). Bytes go in as they arrive, split anywhere; complete
// events come out with their raw bytes, so a proxy can forward an event
// unchanged and still know what it said.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw {

// One block of the stream: the lines up to and including a blank line.
// Views point into the reader and stay valid until the next call to
// next() or feed() on it.
struct sse_event {
  std::string_view raw;                // the whole block, its terminating blank line included
  std::string_view event;              // last "event" field; empty when absent
  std::string_view data;               // "data" fields joined with '\n'
  std::string_view id;                 // this block's own last "id" field (ids containing NUL are ignored)
  bool has_data = false;               // at least one "data" field: the block is an event a browser would dispatch
  bool has_id = false;                 // an "id" field was present (it may be empty: that resets the last id)
  std::optional<std::uint64_t> retry;  // "retry" field made only of digits

  // Blocks with no data (comments, keep-alives, stray blank lines) are still
  // returned so that concatenating every raw gives back the input.
};

class sse_reader {
 public:
  static constexpr std::size_t default_max_event_bytes = 8 * 1024 * 1024;

  explicit sse_reader(std::size_t max_event_bytes = default_max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  // Appends bytes. Invalidates the views of events returned so far.
  // Ignored once failed() or after finish().
  void feed(std::string_view bytes);

  // Declares the end of the stream. A block whose blank line ended in '\r' can
  // only be completed here (a '\n' might still have followed); an unterminated
  // block stays in pending() and is never returned, as the spec says.
  void finish() { eof_ = true; }

  // Takes the next complete block; false when none is complete yet.
  bool next(sse_event& out);

  // A block grew beyond max_event_bytes: the stream cannot be read further.
  bool failed() const { return failed_; }

  // Bytes of the block not complete yet.
  std::string_view pending() const { return std::string_view(buffer_).substr(block_start_); }

 private:
  bool skip_bom();
  void process_line(std::size_t begin, std::size_t end);
  void reset_block();
  bool too_large(std::size_t block_bytes);

  std::size_t max_event_bytes_;
  std::string buffer_;           // from the start of the current block (after compaction) to the last byte fed
  std::string joined_data_;      // data of blocks with several data lines; reused
  std::size_t block_start_ = 0;  // first byte of the current block
  std::size_t line_start_ = 0;   // first byte of the next line to process
  std::size_t scan_ = 0;         // where the search for the next line end resumes
  bool bom_checked_ = false;
  bool eof_ = false;
  bool failed_ = false;

  // Fields of the current block, as offsets from block_start_ (compaction keeps them valid).
  std::size_t event_begin_ = 0, event_size_ = 0;
  std::size_t id_begin_ = 0, id_size_ = 0;
  std::size_t data_begin_ = 0, data_size_ = 0;  // the first data line
  std::size_t data_lines_ = 0;
  bool has_id_ = false;
  std::optional<std::uint64_t> retry_;
};

}  // namespace llmgw
