#pragma once
// One finished request as the background writer sees it. Every field is an
// owned copy: the record outlives the request whose memory it describes and
// crosses from a worker thread to the writer thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmgw::usage {

struct request_record {
  std::chrono::system_clock::time_point ended;  // wall clock, for the log's timestamp
  std::string request_id;
  std::string method;
  std::string path;
  std::string key_name;      // empty when unauthenticated
  std::string model;         // as requested by the client
  std::string served_model;  // the vendor's model id that answered
  std::string provider;      // the vendor that answered
  std::string error;         // short reason for failures
  int status = 0;
  bool stream = false;
  int attempts = 0;
  double latency_ms = 0;
  double ttfb_ms = -1;              // -1: not measured
  std::int64_t prompt_tokens = -1;  // -1: unknown
  std::int64_t completion_tokens = -1;
  std::int64_t total_tokens = -1;
  std::int64_t cached_tokens = -1;
};

// Longest text a record keeps per field. A client chooses the model name and
// the path, and a queue slot keeps what it held: without a cut, one request
// naming a 10 MB model would pin 10 MB in a slot and write it to the log.
inline constexpr std::size_t k_max_field_bytes = 256;

// Copies `from` into `to`, reusing `to`'s buffer, cut to k_max_field_bytes
// at a UTF-8 character boundary.
void assign_field(std::string& to, std::string_view from);

// Frees the buffers of fields that grew past what a typical record needs,
// so an idle queue slot holds little (called after the slot was written).
void release_large_fields(request_record& r);

}  // namespace llmgw::usage
