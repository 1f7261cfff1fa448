#pragma once
// The response cache's key: a 128-bit XXH3 hash of the canonical form of
// everything that changes a chat answer (cache/canonical_chat.hpp), of the
// caller's space and of the resolved model.
#include <cstdint>
#include <string>
#include <string_view>

namespace llmgw::cache {

struct cache_key {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const cache_key&) const = default;
  std::string hex() const;  // 32 hex digits (logs, a network backend's key name)
};

// `space` separates callers (a gateway key id, or a namespace shared by
// several keys); `model` is the resolved model or group (the deployments the
// request may reach, in a stable order), never the weighted pick.
cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical);

// The same key for the space `prefix` + `name` ("key:" and a key id), hashed
// as the two parts without joining them into a string first.
struct key_space {
  std::string_view prefix;
  std::string_view name;
};
cache_key make_key(key_space space, std::string_view model, std::string_view canonical);

}  // namespace llmgw::cache
