#pragma once
// The response cache as the pipeline sees it, free of any backend. The
// memory backend (memory_cache.hpp) answers at once; a network backend
// (Redis) will suspend on its round trip, which is why both calls are
// awaitables: the gateway co_awaits them on the request's own worker, and
// an implementation may complete them later on that worker's io_context.
// Implementations are shared by every worker thread of the process, so
// they must be safe to call from several threads at once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "cache/cache_key.hpp"
#include "cache/cached_answer.hpp"

namespace llmgw::cache {

struct cache_hit {
  std::shared_ptr<const cached_answer> answer;  // shared: a hit copies nothing
  std::chrono::seconds age{0};                  // since it was stored (the `age` header)
};

class response_cache {
 public:
  virtual ~response_cache() = default;
  // nullopt: nothing fresh under this key. A backend that fails answers
  // nullopt too: a cache is never a reason to fail a request.
  // The answer of a hit is complete enough to be rendered as `as`.
  virtual boost::asio::awaitable<std::optional<cache_hit>> lookup(const cache_key& key, rendering as) = 0;
  // Replaces what the key held. `ttl` is at least one second.
  virtual boost::asio::awaitable<void> store(const cache_key& key, std::shared_ptr<const cached_answer> answer,
                                             std::chrono::seconds ttl) = 0;
};

}  // namespace llmgw::cache
