#include "api/access_log.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/json_escape.hpp"

namespace llmgw::api {

namespace {

std::atomic<bool> g_enabled{true};

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_ms(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  out.append(buf, r.ptr);
}

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(",\"");
  out.append(name);
  out.append("\":");
  if (value.empty()) {
    out.append("null");
  } else {
    append_json_string(out, value);
  }
}

void field_int(std::string& out, std::string_view name, std::int64_t v) {
  out.append(",\"");
  out.append(name);
  out.append("\":");
  if (v < 0) {
    out.append("null");
  } else {
    append_int(out, v);
  }
}

}  // namespace

void set_access_log_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }

void write_access_log(const access_record& r, std::string& out) {
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  out.clear();
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out.append("{\"ts\":\"");
  out.append(ts);
  out.append("\",\"type\":\"access\"");
  field(out, "request_id", r.request_id);
  field(out, "method", r.method);
  field(out, "path", r.path);
  field(out, "key", r.key_name);
  field(out, "model", r.model);
  field(out, "served_model", r.served_model);
  field(out, "provider", r.provider);
  field_int(out, "status", r.status);
  out.append(r.stream ? ",\"stream\":true" : ",\"stream\":false");
  field_int(out, "attempts", r.attempts);
  out.append(",\"latency_ms\":");
  append_ms(out, r.latency_ms);
  out.append(",\"ttfb_ms\":");
  if (r.ttfb_ms < 0) {
    out.append("null");
  } else {
    append_ms(out, r.ttfb_ms);
  }
  field_int(out, "prompt_tokens", r.prompt_tokens);
  field_int(out, "completion_tokens", r.completion_tokens);
  field_int(out, "total_tokens", r.total_tokens);
  field_int(out, "cached_tokens", r.cached_tokens);
  if (!r.error.empty()) field(out, "error", r.error);
  out.append("}\n");
  // One fwrite per line: stdio locks the stream, so lines from several
  // workers never interleave.
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace llmgw::api
