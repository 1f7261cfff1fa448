#include "usage/access_log_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::usage {

using namespace std::string_view_literals;

namespace {

// A batch larger than this is written in parts, so the buffer stays small
// even when every worker's queue is full.
constexpr std::size_t k_max_buffer = 256 * 1024;

// Room for a line's fixed parts (its keys, numbers and the timestamp) and
// for one attempt's; texts get theirs on top, at their escaped worst.
constexpr std::size_t k_line_room = 2048;
constexpr std::size_t k_attempt_room = 512;

// The texts after "api", and the token counts, in the line's order.
constexpr std::pair<std::string_view, std::string request_record::*> k_who_and_what[] = {
    {",\"key\":"sv, &request_record::key_name},      {",\"key_id\":"sv, &request_record::key_id},
    {",\"model\":"sv, &request_record::model},       {",\"served_model\":"sv, &request_record::served_model},
    {",\"provider\":"sv, &request_record::provider},
};
constexpr std::pair<std::string_view, std::int64_t request_values::*> k_token_counts[] = {
    {",\"prompt_tokens\":"sv, &request_values::prompt_tokens},
    {",\"completion_tokens\":"sv, &request_values::completion_tokens},
    {",\"total_tokens\":"sv, &request_values::total_tokens},
    {",\"cached_tokens\":"sv, &request_values::cached_tokens},
    {",\"cache_write_tokens\":"sv, &request_values::cache_write_tokens},
    {",\"reasoning_tokens\":"sv, &request_values::reasoning_tokens},
};

// Room for `text` as a JSON string: every byte escaped as \u00XX, quotes.
std::size_t text_room(std::string_view text) { return 6 * text.size() + 2; }

// One line written into room reserved for it up front: literals, numbers
// and plain texts are copied in with no capacity check each (which every
// std::string::append makes); a text that needs escaping is escaped into a
// scratch string first. The room is counted by the caller, which sizes it
// from the texts it writes. The buffer's first `used` bytes are the lines so
// far; the string itself keeps the size it grew to (its bytes past `used`
// are room, zeroed once when it grows, not for every line).
class line_writer {
 public:
  line_writer(std::string& buffer, std::size_t& used, std::size_t room, std::string& scratch)
      : buffer_(buffer), used_(used), scratch_(scratch) {
    if (buffer_.size() < used_ + room) buffer_.resize(std::max(used_ + room, 2 * buffer_.size()));
    p_ = buffer_.data() + used_;
    end_ = p_ + room;
  }
  ~line_writer() {
    // The counted room is an upper bound; past it is a bug, not a long line.
    if (p_ > end_) std::abort();
    used_ = static_cast<std::size_t>(p_ - buffer_.data());
  }
  line_writer(const line_writer&) = delete;
  line_writer& operator=(const line_writer&) = delete;

  void raw(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  // As a JSON string, quotes included; null when empty.
  void text(std::string_view s) {
    if (s.empty()) return raw("null"sv);
    *p_++ = '"';
    if (is_plain_json_text(s)) {
      raw(s);
    } else {
      scratch_.clear();
      append_json_escaped(scratch_, s);
      raw(scratch_);
    }
    *p_++ = '"';
  }
  // A count; null when negative (unknown).
  void count(std::int64_t v) {
    if (v < 0) return raw("null"sv);
    p_ = std::to_chars(p_, p_ + 20, v).ptr;
  }
  void number(double v) { p_ = std::to_chars(p_, p_ + 32, v).ptr; }
  void ms(double v) { p_ = write_fixed(p_, v, 2); }
  void ms_or_null(double v) {
    if (v < 0) return raw("null"sv);
    ms(v);
  }
  // `key` is the separator, the quoted name and the colon in one literal.
  void text_field(std::string_view key, std::string_view v) {
    raw(key);
    text(v);
  }
  void count_field(std::string_view key, std::int64_t v) {
    raw(key);
    count(v);
  }
  void ms_field(std::string_view key, double v) {
    raw(key);
    ms(v);
  }
  void ms_or_null_field(std::string_view key, double v) {
    raw(key);
    ms_or_null(v);
  }
  char*& cursor() { return p_; }

 private:
  std::string& buffer_;
  std::size_t& used_;
  std::string& scratch_;
  char* p_;
  char* end_;
};

// Writes all of `data`; false on an error other than an interruption. A
// non-blocking descriptor that stays full for a second counts as an error:
// the writer thread must still reach its drain at shutdown.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) > 0) continue;
    }
    return false;
  }
  return true;
}

}  // namespace

access_log_sink::access_log_sink(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {}

access_log_sink::~access_log_sink() {
  flush();
  if (owns_fd_) ::close(fd_);
}

char* access_log_sink::write_timestamp(char* out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::int64_t secs = ms_total / 1000;
  const int ms = static_cast<int>(ms_total % 1000);
  if (secs != cached_second_) {
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    const int n = std::snprintf(cached_prefix_, sizeof cached_prefix_, "%04d-%02d-%02dT%02d:%02d:%02d",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_prefix_size_ = n > 0 ? std::min(static_cast<std::size_t>(n), sizeof cached_prefix_ - 1) : 0;
    cached_second_ = secs;
  }
  const std::string_view head = "{\"ts\":\""sv;
  std::memcpy(out, head.data(), head.size());
  out += head.size();
  std::memcpy(out, cached_prefix_, cached_prefix_size_);
  out += cached_prefix_size_;
  const char frac[] = {'.',
                       static_cast<char>('0' + ms / 100),
                       static_cast<char>('0' + ms / 10 % 10),
                       static_cast<char>('0' + ms % 10),
                       'Z',
                       '"'};
  std::memcpy(out, frac, sizeof frac);
  return out + sizeof frac;
}

void access_log_sink::add(const request_record& r) {
  // Every text of the record (a few the line leaves out too): a field the
  // line gains later is counted already.
  std::size_t room = k_line_room + sizeof cached_prefix_;
  for (auto field : k_text_fields) room += text_room(r.*field);
  room += text_room(r.client_api);
  for (const auto p : r.dropped_params) room += text_room(p) + 1;
  for (const attempt_record& a : r.attempts) {
    room += k_attempt_room + text_room(a.provider) + text_room(a.model) + text_room(a.error);
  }
  {
    line_writer w(buffer_, used_, room, scratch_);
    w.cursor() = write_timestamp(w.cursor(), r.ended);
    w.text_field(",\"type\":\"access\",\"request_id\":"sv, r.request_id);
    w.text_field(",\"method\":"sv, r.method);
    w.text_field(",\"path\":"sv, r.path);
    w.text_field(",\"api\":"sv, r.client_api);
    for (const auto& [key, field] : k_who_and_what) w.text_field(key, r.*field);
    w.count_field(",\"status\":"sv, r.status);
    w.raw(r.stream ? ",\"stream\":true,\"attempts\":"sv : ",\"stream\":false,\"attempts\":"sv);
    w.count(static_cast<std::int64_t>(r.attempts.size()));
    w.ms_field(",\"latency_ms\":"sv, r.latency_ms);
    w.ms_or_null_field(",\"ttfb_ms\":"sv, r.ttfb_ms);
    for (const auto& [key, field] : k_token_counts) w.count_field(key, r.*field);
    w.text_field(",\"usage_source\":"sv, name_of(r.usage));
    w.text_field(",\"cache\":"sv, name_of(r.cache));
    w.count_field(",\"bytes_in\":"sv, r.bytes_in);
    w.count_field(",\"bytes_out\":"sv, r.bytes_out);
    if (!r.error.empty()) w.text_field(",\"error\":"sv, r.error);
    // What the gateway left out of the client's request to get it answered.
    if (!r.dropped_params.empty()) {
      w.raw(",\"dropped_params\":["sv);
      for (std::size_t i = 0; i < r.dropped_params.size(); ++i) {
        if (i) w.raw(","sv);
        w.text(r.dropped_params[i]);
      }
      w.raw("]"sv);
    }
    if (r.hedged) {
      w.raw(",\"hedged\":true"sv);
      if (r.hedge_loser_cost_usd >= 0) {
        w.raw(",\"hedge_loser_cost_usd\":"sv);
        w.number(r.hedge_loser_cost_usd);
      }
    }
    // Every call to a vendor, in order: which deployment, what it answered,
    // how long connecting and the first byte took.
    if (!r.attempts.empty()) {
      w.raw(",\"route\":["sv);
      for (std::size_t i = 0; i < r.attempts.size(); ++i) {
        const attempt_record& a = r.attempts[i];
        w.text_field(i == 0 ? "{\"provider\":"sv : ",{\"provider\":"sv, a.provider);
        w.text_field(",\"model\":"sv, a.model);
        w.count_field(",\"status\":"sv, a.status);
        if (!a.error.empty()) w.text_field(",\"error\":"sv, a.error);
        w.ms_or_null_field(",\"connect_ms\":"sv, a.connect_ms);
        w.ms_or_null_field(",\"first_byte_ms\":"sv, a.first_byte_ms);
        w.ms_field(",\"ms\":"sv, a.total_ms);
        w.raw("}"sv);
      }
      w.raw("]"sv);
    }
    w.raw("}\n"sv);
  }
  ++lines_;
  if (used_ >= k_max_buffer) flush();
}

void access_log_sink::dropped(std::uint64_t records, std::uint64_t total) {
  {
    line_writer w(buffer_, used_, k_line_room + sizeof cached_prefix_, scratch_);
    w.cursor() = write_timestamp(w.cursor(), std::chrono::system_clock::now());
    w.count_field(",\"type\":\"records_dropped\",\"records\":"sv, static_cast<std::int64_t>(records));
    w.count_field(",\"total\":"sv, static_cast<std::int64_t>(total));
    w.raw("}\n"sv);
  }
  ++lines_;
}

void access_log_sink::flush() {
  if (used_ == 0) return;
  ++writes_;
  if (!write_all(fd_, std::string_view(buffer_.data(), used_))) {
    const int err = errno;
    lost_lines_ += lines_;
    // A full disk fails every batch: say so once a second, not per batch.
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (now_s != last_error_report_s_) {
      last_error_report_s_ = now_s;
      std::fprintf(stderr, "llmgw: warning: access log: write failed (%s): %llu lines lost so far\n",
                   std::strerror(err), static_cast<unsigned long long>(lost_lines_));
    }
  }
  used_ = 0;
  lines_ = 0;
}

int open_access_log_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw std::runtime_error("access_log.path: cannot open \"" + path + "\" for appending: " + std::strerror(errno));
  }
  return fd;
}

}  // namespace llmgw::usage
