#include "cache/redis_cache.hpp"

#include <algorithm>
#include <string>

#include "cache/answer_codec.hpp"
#include "store/redis_client.hpp"

namespace llmgw::cache {

namespace {

// Hash-tagged by the key itself: each entry is its own slot's business.
std::string redis_key(const cache_key& key) { return "llmgw:cache:{" + key.hex() + "}"; }

}  // namespace

redis_cache::redis_cache(std::shared_ptr<store::redis_client> client) : client_(std::move(client)) {}

boost::asio::awaitable<std::optional<cache_hit>> redis_cache::lookup(const cache_key& key, rendering as) {
  const std::string name = redis_key(key);
  // Named, not a braced list in the co_await: GCC 12 miscompiles that.
  store::redis_command get{"GET", name};
  const store::redis_result r = co_await client_->command(name, std::move(get));
  if (!r || !r->is_string()) co_return std::nullopt;  // a miss, or Redis away: a miss
  auto decoded = decode_answer(r->str, as);
  if (!decoded) co_return std::nullopt;
  const auto age =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - decoded->stored_at);
  cache_hit hit;
  hit.answer = std::make_shared<const cached_answer>(std::move(decoded->answer));
  hit.age = std::max(std::chrono::seconds(0), age);
  co_return hit;
}

boost::asio::awaitable<void> redis_cache::store(const cache_key& key, std::shared_ptr<const cached_answer> answer,
                                                std::chrono::seconds ttl) {
  const std::string name = redis_key(key);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(ttl, std::chrono::seconds(1)));
  store::redis_command set{"SET", name, encode_answer(*answer, std::chrono::system_clock::now()), "PX",
                           std::to_string(ms.count())};
  co_await client_->command(name, std::move(set));
}

}  // namespace llmgw::cache
