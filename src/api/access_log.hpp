#pragma once
// One JSON line per request on stdout: what happened, never who (the key's
// name is logged, not the key) and never what was said (no prompt text).
#include <cstdint>
#include <string>
#include <string_view>

namespace llmgw::api {

struct access_record {
  std::string_view request_id;
  std::string_view method;
  std::string_view path;
  std::string_view key_name;      // empty when unauthenticated
  std::string_view model;         // as requested by the client
  std::string_view served_model;  // the vendor's model id that answered
  std::string_view provider;      // the vendor that answered
  int status = 0;
  bool stream = false;
  int attempts = 0;
  double latency_ms = 0;
  double ttfb_ms = -1;              // time to the first response byte sent to the client; -1: not measured
  std::int64_t prompt_tokens = -1;  // -1: unknown
  std::int64_t completion_tokens = -1;
  std::int64_t total_tokens = -1;
  std::int64_t cached_tokens = -1;
  std::string_view error;  // short reason for failures
};

// Formats into `scratch` (reused by the caller) and writes one line.
void write_access_log(const access_record& r, std::string& scratch);

// Turns the log off (benchmarks compare against an nginx with its log off).
void set_access_log_enabled(bool on);

}  // namespace llmgw::api
