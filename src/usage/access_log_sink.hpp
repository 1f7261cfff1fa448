#pragma once
// The access log: one JSON line per request, `"type":"access"`, on stdout or
// appended to a file. What happened, never who (the key's name is logged,
// not the key) and never what was said (no prompt text). A batch is
// formatted into one buffer and written with one write(), on the writer
// thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "usage/record_sink.hpp"

namespace llmgw::usage {

class access_log_sink final : public record_sink {
 public:
  // Writes to `fd`, which it closes when `owns_fd` (a file it was given).
  explicit access_log_sink(int fd, bool owns_fd = false);
  ~access_log_sink() override;
  access_log_sink(const access_log_sink&) = delete;
  access_log_sink& operator=(const access_log_sink&) = delete;

  void add(const request_record& r) override;
  void flush() override;
  // A line `"type":"records_dropped"` where the gap is, so a reader of the
  // log knows lines are missing.
  void dropped(std::uint64_t records, std::uint64_t total) override;

  // write() calls made and lines lost to write errors (tests, reports).
  std::uint64_t writes() const { return writes_; }
  std::uint64_t lost_lines() const { return lost_lines_; }

 private:
  // `{"ts":"<UTC time with milliseconds>"` at `out`; returns the end.
  char* write_timestamp(char* out, std::chrono::system_clock::time_point t);

  int fd_;
  bool owns_fd_;
  std::string buffer_;  // lines in its first used_ bytes; the rest is room
  std::size_t used_ = 0;
  std::string scratch_;    // a text being escaped
  std::size_t lines_ = 0;  // in buffer_, not yet written
  std::uint64_t writes_ = 0;
  std::uint64_t lost_lines_ = 0;
  std::int64_t last_error_report_s_ = 0;
  // The "YYYY-MM-DDTHH:MM:SS" of the last timestamp, reused within a second.
  std::int64_t cached_second_ = -1;
  char cached_prefix_[80] = {};  // room for any int the format could get
  std::size_t cached_prefix_size_ = 0;
};

// Opens `path` for appending (created 0640 when missing). Throws
// std::runtime_error naming the path and the reason.
int open_access_log_file(const std::string& path);

}  // namespace llmgw::usage
