#pragma once
// Gateway keys: the client presents a key, the store knows only SHA-256
// hashes, so a leaked store or memory dump holds no usable key.
#include "config/config.hpp"
#include "core/sha256.hpp"

#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmgw {

// Who is calling. Limits, allowed models and budgets join later.
// Cheap to copy: `name` views the store's copy and is valid as long as the store.
struct principal {
  std::string_view name;  // the key's name in logs and usage records; never the key
  // "key_" + the first 12 hex digits of the key's SHA-256: tells two keys of
  // one name apart in records (a rotated key) and reveals nothing usable.
  std::string_view id;
  std::string_view team;  // the key's `team:`; empty: none
  bool is_master = false;
  // What the key may use; nullptr: no limits (the master key, keys without).
  // Lives as long as the key store.
  const key_limits* limits = nullptr;
};

class key_store {
 public:
  key_store() = default;
  // The config's keys plus its master key hash (LLMGW_MASTER_KEY, named "master").
  explicit key_store(const config& cfg);
  // Hashes must be 64 hex characters (config_error otherwise).
  key_store(const std::vector<key_entry>& keys, const std::optional<std::string>& master_key_sha256);

  // The key's principal, or nullopt when the key is unknown (or empty).
  std::optional<principal> lookup(std::string_view presented_key) const;
  std::optional<principal> lookup_digest(const sha256_digest& digest) const;

  bool empty() const { return by_digest_.empty(); }
  std::size_t size() const { return by_digest_.size(); }

 private:
  struct digest_hash {
    std::size_t operator()(const sha256_digest& d) const noexcept {
      // A SHA-256 digest is already uniformly distributed.
      std::size_t h = 0;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct entry {
    std::string name;
    bool is_master = false;
    std::string id;
    key_limits limits;
    std::string team;
  };
  void add(const std::string& key_sha256, entry who);

  // Node-based: an entry's name never moves, so principals may view it.
  std::unordered_map<sha256_digest, entry, digest_hash> by_digest_;
};

// The token of an `Authorization: Bearer X` header value (scheme matched
// case-insensitively, surrounding spaces ignored); nullopt if absent or empty.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// The key a client presented: the bearer token, else the x-api-key header
// (Anthropic SDKs send that); nullopt when there is neither.
std::optional<std::string_view> presented_key(std::string_view authorization, std::string_view x_api_key);

}  // namespace llmgw
