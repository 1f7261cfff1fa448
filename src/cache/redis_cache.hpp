#pragma once
// The response cache in Redis, shared by every gateway instance: one per
// worker, on the worker's Redis client. An entry is a string under
// "llmgw:cache:{<key hex>}" that expires with its TTL (SET … PX), holding
// the answer as answer_codec encodes it. A Redis that fails is a miss, and
// a store that fails is dropped: the cache never fails a request.
#include <memory>

#include "cache/cache.hpp"

namespace llmgw::store {
class redis_client;
}

namespace llmgw::cache {

class redis_cache final : public response_cache {
 public:
  explicit redis_cache(std::shared_ptr<store::redis_client> client);

  boost::asio::awaitable<std::optional<cache_hit>> lookup(const cache_key& key, rendering as) override;
  boost::asio::awaitable<void> store(const cache_key& key, std::shared_ptr<const cached_answer> answer,
                                     std::chrono::seconds ttl) override;

 private:
  std::shared_ptr<store::redis_client> client_;
};

}  // namespace llmgw::cache
