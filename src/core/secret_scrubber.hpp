#pragma once
// Removes the gateway's vendor credentials from text that came from a vendor
// before it reaches a client: error fields, relayed headers, success bodies,
// stream events. Vendors echo keys (whole, masked, truncated) in errors, and
// a misbehaving one could echo them anywhere, so every fragment of at least
// k_min_fragment consecutive characters of any secret is looked for, not
// only the whole key with its "sk-" prefix.
//
// Built once per configuration snapshot and shared read-only by every
// worker. Success bodies pass through it too, so the scan is one pass with
// an 8-byte rolling window: load 8 bytes, multiply-shift hash, test one bit
// of a bitmap of the secrets' windows, and compare exactly only on a hit.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw {

class secret_scrubber {
 public:
  // Shorter runs are not looked for: 8 characters of a random key are
  // practically never ordinary text, and shorter fragments would redact
  // words. Secrets shorter than this are ignored for the same reason (a
  // placeholder key like "ollama" is not a secret worth corrupting answers).
  static constexpr std::size_t k_min_fragment = 8;
  static constexpr std::string_view k_replacement = "[redacted]";

  struct match {
    std::size_t begin = 0;
    std::size_t end = 0;  // one past the last byte of the run
  };

  secret_scrubber() = default;  // knows no secret: finds nothing
  explicit secret_scrubber(std::span<const std::string_view> secrets);

  bool empty() const { return windows_.empty(); }

  // The first run at or after `from` made of secret windows: every byte in
  // it belongs to some k_min_fragment-long piece of a secret.
  std::optional<match> find(std::string_view text, std::size_t from = 0) const;

  // Replaces every run by k_replacement; returns how many were replaced.
  // Text without a secret is left untouched (and not copied).
  std::size_t scrub(std::string& text) const;

  // Convenience for short strings (error fields, header values).
  std::string scrubbed(std::string_view text) const;

 private:
  bool is_window(const char* p) const;

  // Only windows of printable ASCII other than '"' and '\' are indexed: a
  // replacement then never cuts a JSON escape, an SSE line or a UTF-8
  // sequence in two. A secret holding such characters is still found in
  // the pieces between them that are long enough.
  std::vector<std::uint64_t> bits_;     // bitmap over the hash values
  unsigned shift_ = 64;                 // 64 - log2(bitmap size)
  std::vector<std::uint64_t> windows_;  // every indexed window, sorted
};

}  // namespace llmgw
