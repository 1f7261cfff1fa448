#pragma once
// What the mock vendor should do with one request, beyond answering it
// normally. A script is built from three layers, later ones winning: the
// server's defaults (mock_options), `x-mock-*` request headers (for curl and
// benchmarks), and `[mock:...]` markers in the text of the last user message
// (so tests driving an SDK can trigger behaviour without touching headers).
//
// Marker grammar: `[mock:` setting (`,` setting)* `]`, setting = key or
// key=value. Keys: status, retry_after, latency_ms, slow_ratio, slow_ms, tokens,
// tps, reset_after, error_after, hang, hang_after, echo, digest, tool, leak,
// prompt_tokens, cached_tokens, cache_write_tokens. Unknown keys and bad values are ignored, so a
// typo in a test shows up as "nothing happened", never as a mock crash.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::mock {

struct mock_script {
  int status = 0;                            // answer with this error status (0: succeed)
  std::optional<std::uint32_t> retry_after;  // that error's retry-after in seconds (else the dialect's own)
  std::uint32_t latency_ms = 0;              // delay before the response headers
  std::optional<std::uint32_t> tokens;       // reply length in tokens (= stream content chunks)
  // A slow tail: this share (0 to 1) of the requests that carry it wait
  // slow_ms before their response headers instead of latency_ms. Which ones
  // is decided by the vendor's count of such requests (is_slow_turn), so
  // `--script latency_ms=20,slow_ratio=0.05,slow_ms=2000` slows exactly
  // every 20th answer: a benchmark sees the same tail on every run.
  double slow_ratio = 0;
  std::uint32_t slow_ms = 0;
  // The usage reported for the prompt, in every dialect's own fields: every
  // input token (default: the body's size / 4), and how many of them were
  // read from / written to the vendor's prompt cache (cut to fit the prompt).
  std::optional<std::uint32_t> prompt_tokens;
  std::uint32_t cached_tokens = 0;
  std::uint32_t cache_write_tokens = 0;
  double tps = 0;                            // stream pacing in tokens per second (0: as fast as possible)
  std::optional<std::uint32_t> reset_after;  // abort the connection after N content chunks
  std::optional<std::uint32_t> error_after;  // after N content chunks, the vendor's in-stream error event, then end
  bool hang = false;                         // accept the request and never answer
  std::optional<std::uint32_t> hang_after;   // stream N content chunks, then stall forever
  bool echo = false;                         // reply content = JSON of the received request headers
  // Reply content = what the vendor received, in one shape for every
  // dialect (request_digest.hpp); never cut by max_tokens.
  bool digest = false;
  // A careless vendor that echoes the credential it was sent: in every
  // string (and null) of a scripted error, in a retry-after and an
  // x-mock-leaked header beside it; or, without a status, in the reply text.
  bool leak = false;
  bool tool = false;      // answer with a tool call when the request offers tools
  std::string tool_name;  // which tool ([mock:tool=name]); empty: the first one

  bool operator==(const mock_script&) const = default;
};

// Applies one setting; `value` is empty for a bare key. Returns false when
// the key is unknown or the value is not valid for it (nothing changes).
bool apply_setting(std::string_view key, std::string_view value, mock_script& script);

// Applies every `[mock:...]` marker in `text` in order. `text` may be raw
// JSON (markers contain no characters JSON would escape). Returns how many
// settings were applied.
int apply_markers(std::string_view text, mock_script& script);

// Applies an `x-mock-<key>` header (name compared case-insensitively, `-`
// in the key read as `_`, so `x-mock-latency-ms: 50` = `latency_ms=50`).
// For flags (hang, echo, digest, tool, leak) any value but "0"/"false" switches them on.
// Returns false when the header is not an x-mock header or not understood.
bool apply_header(std::string_view name, std::string_view value, mock_script& script);

// True when `name` starts with `x-mock-` (case-insensitively).
bool is_mock_header(std::string_view name);

// Whether the n-th (from 0) request of a slow tail of `ratio` is a slow one:
// of the first N requests, floor(N * ratio) are, evenly spread (0.05: the
// 20th, 40th, …; 0.3: the 4th, 7th, 10th, …). The ratio is read to a
// millionth, in integers, so no rounding moves a slow turn.
bool is_slow_turn(std::uint64_t n, double ratio);

}  // namespace llmgw::mock
