#pragma once
// One finished request as the background writer sees it. Every field is an
// owned copy: the record outlives the request whose memory it describes and
// crosses from a worker thread to the writer thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace llmgw::usage {

// Where a record's token counts came from.
enum class usage_source : std::uint8_t {
  none,       // no counts (the request never reached a vendor, or the vendor sent none)
  vendor,     // the vendor's own usage fields
  estimated,  // counted by the gateway (a stream cut before the vendor's usage)
};

// What the response cache did for the request.
enum class cache_status : std::uint8_t {
  not_looked_up,  // no cache stage ran (error before it, or the endpoint is not cached)
  miss,
  hit,
  skip,  // the cache was asked not to answer (no-cache, disabled for the model, not cacheable)
};

std::string_view name_of(usage_source s);
std::string_view name_of(cache_status s);

// One call to one deployment.
struct attempt_record {
  std::string provider;       // the configured provider's name
  std::string model;          // the vendor's model id
  int status = 0;             // the vendor's HTTP status; 0: none received
  std::string error;          // why it failed ("connect", "first byte timeout", "upstream error"…); empty: answered
  double connect_ms = -1;     // 0 on a reused connection; -1: never connected
  double first_byte_ms = -1;  // start of the call → response headers; -1: none
  double total_ms = 0;        // start of the call → the attempt's end
  double started_ms = 0;      // since the request's start (a hedge overlaps the attempt before it)
  bool open = false;          // begun and not ended yet (the request context's bookkeeping)
};

// What a record holds besides its texts and lists: plain values, copied
// into a queue slot and reset for the next request as one block.
struct request_values {
  std::chrono::system_clock::time_point ended;  // wall clock, for the log's timestamp
  std::string_view client_api;                  // "openai" | "anthropic" (static text)
  int status = 0;
  bool stream = false;
  double latency_ms = 0;
  double ttfb_ms = -1;              // to the first response byte sent to the client; -1: none sent
  std::int64_t prompt_tokens = -1;  // -1: unknown
  std::int64_t completion_tokens = -1;
  std::int64_t total_tokens = -1;
  std::int64_t cached_tokens = -1;       // prompt tokens read from the vendor's prompt cache
  std::int64_t cache_write_tokens = -1;  // prompt tokens written to it
  std::int64_t reasoning_tokens = -1;
  usage_source usage = usage_source::none;
  cache_status cache = cache_status::not_looked_up;
  // Cost in USD of the tokens above, each kind at its own rate. cost_known
  // is false when the model has no price (the databases store null, never
  // $0) or no tokens were counted.
  bool cost_known = false;
  double cost_usd = 0;
  double cost_input_usd = 0;         // uncached prompt tokens
  double cost_cached_input_usd = 0;  // prompt tokens read from the vendor's cache
  double cost_cache_write_usd = 0;   // prompt tokens written to it
  double cost_output_usd = 0;        // completion tokens, reasoning included
  std::int64_t bytes_in = 0;         // request body bytes read
  std::int64_t bytes_out = 0;        // response body bytes written
  // A hedge fired: a second attempt ran beside the first (the loser was
  // cancelled once the winner had content). What the loser cost, when its
  // vendor reported usage before it was cancelled; negative: not reported.
  bool hedged = false;
  double hedge_loser_cost_usd = -1;
};

struct request_record : request_values {
  std::string request_id;
  std::string method;
  std::string path;
  std::string key_id;    // a short, non-secret id of the gateway key (hash prefix); empty: unauthenticated
  std::string key_name;  // empty when unauthenticated
  std::string team;      // the key's team; empty: none
  std::string user_id;   // the client's `user` (OpenAI) or metadata.user_id (Anthropic); empty: none
  // The client's `metadata` object (OpenAI's string tags), as compact JSON;
  // empty: none, or longer than k_max_metadata_bytes (not cut: a cut object
  // is not JSON).
  std::string metadata;
  std::string model;                     // as requested by the client
  std::string served_model;              // the vendor's model id that answered
  std::string provider;                  // the vendor that answered
  std::string error;                     // short reason for failures
  std::vector<attempt_record> attempts;  // in order; empty when no vendor was called
  // Client parameters the last attempt's adapter left out because the vendor
  // refuses them (providers::upstream_request::dropped_params): static names.
  std::vector<std::string_view> dropped_params;
};

static_assert(std::is_trivially_copyable_v<request_values>, "request_values is copied as one block");

// The record's text fields, for the code that copies, clears or trims every
// one of them (a field added to the record is added here once).
inline constexpr std::string request_record::*k_text_fields[] = {
    &request_record::request_id,   &request_record::method,   &request_record::path,    &request_record::key_id,
    &request_record::key_name,     &request_record::team,     &request_record::user_id, &request_record::model,
    &request_record::served_model, &request_record::provider, &request_record::error,
};

inline constexpr std::size_t k_max_metadata_bytes = 4096;

// An attempt's error when it lost a hedge race: cancelled once the other
// attempt had content, not a failure of its deployment.
inline constexpr std::string_view k_hedge_lost = "hedge lost";

// Longest text a record keeps per field. A client chooses the model name and
// the path, and a queue slot keeps what it held: without a cut, one request
// naming a 10 MB model would pin 10 MB in a slot and write it to the log.
inline constexpr std::size_t k_max_field_bytes = 256;

// At most this many attempts are kept per record (the rest are counted in
// the last one's place): a group of a hundred deployments cannot grow a slot.
inline constexpr std::size_t k_max_attempts = 16;

// Copies `from` into `to`, reusing `to`'s buffer, cut to k_max_field_bytes
// at a UTF-8 character boundary.
void assign_field(std::string& to, std::string_view from);

// Copies a whole record into a queue slot (reusing the slot's buffers),
// every text field cut as assign_field() does.
void copy_record(const request_record& from, request_record& to);

// Back to a fresh record's values, keeping the buffers of its texts and
// lists (a pooled record, before its next request).
void reset_record(request_record& r);

// Frees the buffers of fields that grew past what a typical record needs,
// so an idle queue slot holds little (called after the slot was written).
void release_large_fields(request_record& r);

// Time spent waiting on vendors: the attempts' times, overlaps counted once.
double upstream_ms(const request_record& r);

}  // namespace llmgw::usage
