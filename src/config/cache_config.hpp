#pragma once
// The `cache:` section: the response cache. No section: the cache is off.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace llmgw {

enum class cache_backend { off, memory, redis };

// Per model group or model (the name the client asks for).
struct cache_group_config {
  std::optional<std::chrono::seconds> ttl;  // absent: cache.ttl
  bool enabled = true;
};

struct cache_config {
  cache_backend backend = cache_backend::off;
  // `backend: redis` (or no backend with REDIS_URL set) asked for Redis,
  // which the cache cannot use yet: the memory backend serves instead and
  // start-up says so.
  bool redis_requested = false;
  std::chrono::seconds ttl{300};
  std::size_t max_bytes = 256ull * 1024 * 1024;  // memory backend bound
  // Answers that stopped at max_tokens (finish_reason "length") are stored too.
  bool store_truncated = false;
  std::map<std::string, cache_group_config, std::less<>> groups;
  // Gateway key name → shared namespace: keys mapped to one name share
  // entries; every other key has its own.
  std::map<std::string, std::string, std::less<>> namespaces;
};

}  // namespace llmgw
