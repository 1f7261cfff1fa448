#include "usage/access_log_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::usage {

using namespace std::string_view_literals;

namespace {

// A batch larger than this is written in parts, so the buffer stays small
// even when every worker's queue is full.
constexpr std::size_t k_max_buffer = 256 * 1024;

void append_ms(std::string& out, double v) { append_fixed(out, v, 2); }

void append_ms_or_null(std::string& out, double v) {
  if (v < 0) {
    out.append("null"sv);
  } else {
    append_ms(out, v);
  }
}

// `key` is the field's separator, quoted name and colon in one literal
// (`,"model":`): one append instead of four, on a path run per record.
void field(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  if (value.empty()) {
    out.append("null"sv);
  } else {
    append_json_string(out, value);
  }
}

void field_int(std::string& out, std::string_view key, std::int64_t v) {
  out.append(key);
  if (v < 0) {
    out.append("null"sv);
  } else {
    append_number(out, v);
  }
}

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

void access_log_sink::append_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::int64_t secs = ms_total / 1000;
  const int ms = static_cast<int>(ms_total % 1000);
  if (secs != cached_second_) {
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::snprintf(cached_prefix_, sizeof cached_prefix_, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second_ = secs;
  }
  const char frac[] = {'.',
                       static_cast<char>('0' + ms / 100),
                       static_cast<char>('0' + ms / 10 % 10),
                       static_cast<char>('0' + ms % 10),
                       'Z',
                       '"'};
  buffer_.append("{\"ts\":\""sv);
  buffer_.append(cached_prefix_);
  buffer_.append(frac, sizeof frac);
}

void access_log_sink::add(const request_record& r) {
  append_timestamp(r.ended);
  buffer_.append(",\"type\":\"access\""sv);
  field(buffer_, ",\"request_id\":", r.request_id);
  field(buffer_, ",\"method\":", r.method);
  field(buffer_, ",\"path\":", r.path);
  field(buffer_, ",\"api\":", r.client_api);
  field(buffer_, ",\"key\":", r.key_name);
  field(buffer_, ",\"key_id\":", r.key_id);
  field(buffer_, ",\"model\":", r.model);
  field(buffer_, ",\"served_model\":", r.served_model);
  field(buffer_, ",\"provider\":", r.provider);
  field_int(buffer_, ",\"status\":", r.status);
  buffer_.append(r.stream ? ",\"stream\":true"sv : ",\"stream\":false"sv);
  field_int(buffer_, ",\"attempts\":", static_cast<std::int64_t>(r.attempts.size()));
  buffer_.append(",\"latency_ms\":"sv);
  append_ms(buffer_, r.latency_ms);
  buffer_.append(",\"ttfb_ms\":"sv);
  append_ms_or_null(buffer_, r.ttfb_ms);
  field_int(buffer_, ",\"prompt_tokens\":", r.prompt_tokens);
  field_int(buffer_, ",\"completion_tokens\":", r.completion_tokens);
  field_int(buffer_, ",\"total_tokens\":", r.total_tokens);
  field_int(buffer_, ",\"cached_tokens\":", r.cached_tokens);
  field_int(buffer_, ",\"cache_write_tokens\":", r.cache_write_tokens);
  field_int(buffer_, ",\"reasoning_tokens\":", r.reasoning_tokens);
  field(buffer_, ",\"usage_source\":", name_of(r.usage));
  field(buffer_, ",\"cache\":", name_of(r.cache));
  field_int(buffer_, ",\"bytes_in\":", r.bytes_in);
  field_int(buffer_, ",\"bytes_out\":", r.bytes_out);
  if (!r.error.empty()) field(buffer_, ",\"error\":", r.error);
  // What the gateway left out of the client's request to get it answered.
  if (!r.dropped_params.empty()) {
    buffer_.append(",\"dropped_params\":["sv);
    for (std::size_t i = 0; i < r.dropped_params.size(); ++i) {
      if (i) buffer_.push_back(',');
      append_json_string(buffer_, r.dropped_params[i]);
    }
    buffer_.push_back(']');
  }
  if (r.hedged) {
    buffer_.append(",\"hedged\":true"sv);
    if (r.hedge_loser_cost_usd >= 0) {
      buffer_.append(",\"hedge_loser_cost_usd\":"sv);
      append_number(buffer_, r.hedge_loser_cost_usd);
    }
  }
  // Every call to a vendor, in order: which deployment, what it answered,
  // how long connecting and the first byte took.
  if (!r.attempts.empty()) {
    buffer_.append(",\"route\":["sv);
    for (std::size_t i = 0; i < r.attempts.size(); ++i) {
      const attempt_record& a = r.attempts[i];
      buffer_.append(i == 0 ? "{" : ",{");
      field(buffer_, "\"provider\":", a.provider);
      field(buffer_, ",\"model\":", a.model);
      field_int(buffer_, ",\"status\":", a.status);
      if (!a.error.empty()) field(buffer_, ",\"error\":", a.error);
      buffer_.append(",\"connect_ms\":"sv);
      append_ms_or_null(buffer_, a.connect_ms);
      buffer_.append(",\"first_byte_ms\":"sv);
      append_ms_or_null(buffer_, a.first_byte_ms);
      buffer_.append(",\"ms\":"sv);
      append_ms(buffer_, a.total_ms);
      buffer_.append("}"sv);
    }
    buffer_.append("]"sv);
  }
  buffer_.append("}\n"sv);
  ++lines_;
  if (buffer_.size() >= k_max_buffer) flush();
}

void access_log_sink::dropped(std::uint64_t records, std::uint64_t total) {
  append_timestamp(std::chrono::system_clock::now());
  buffer_.append(",\"type\":\"records_dropped\",\"records\":"sv);
  append_number(buffer_, static_cast<std::int64_t>(records));
  buffer_.append(",\"total\":"sv);
  append_number(buffer_, static_cast<std::int64_t>(total));
  buffer_.append("}\n"sv);
  ++lines_;
}

void access_log_sink::flush() {
  if (buffer_.empty()) return;
  ++writes_;
  if (!write_all(fd_, buffer_)) {
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
  buffer_.clear();
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
