#pragma once
// What the access log will say about one request, as the stages fill it in:
// views into the request's own memory, valid until the request ends. At the
// end the scope copies it into an owned usage::request_record, which the
// background writer formats (usage/access_log_sink.hpp).
#include <chrono>
#include <cstdint>
#include <string_view>

#include "usage/request_record.hpp"

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

// Copies `r` into `out` (a queue slot: its buffers are reused).
void copy_record(const access_record& r, std::chrono::system_clock::time_point ended, usage::request_record& out);

}  // namespace llmgw::api
