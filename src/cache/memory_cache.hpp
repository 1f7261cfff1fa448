#pragma once
// The in-process response cache: an LRU bounded in bytes, with a TTL per
// entry, shared by all worker threads. The key space is split into shards,
// each with its own lock and its own share of the byte bound, so workers
// rarely wait for each other; a lookup is a hash-map find and a list splice
// under one shard's lock, and hands out a shared_ptr (nothing is copied).
#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "cache/cache.hpp"

namespace llmgw::cache {

class memory_cache final : public response_cache {
 public:
  using clock = std::chrono::steady_clock;
  // `now` is the clock (tests move time forward with their own).
  explicit memory_cache(std::size_t max_bytes, std::function<clock::time_point()> now = clock::now);

  // Answers are kept whole: any rendering.
  boost::asio::awaitable<std::optional<cache_hit>> lookup(const cache_key& key, rendering as) override;
  boost::asio::awaitable<void> store(const cache_key& key, std::shared_ptr<const cached_answer> answer,
                                     std::chrono::seconds ttl) override;

  // The same, without a coroutine (tests, benchmarks).
  std::optional<cache_hit> find(const cache_key& key);
  void put(const cache_key& key, std::shared_ptr<const cached_answer> answer, std::chrono::seconds ttl);

  std::size_t bytes() const;    // what the entries cost now
  std::size_t entries() const;  // how many there are

 private:
  static constexpr std::size_t k_shards = 16;

  struct entry {
    cache_key key;
    std::shared_ptr<const cached_answer> answer;
    clock::time_point stored;
    clock::time_point expires;
    std::size_t bytes = 0;
  };
  struct key_hash {
    std::size_t operator()(const cache_key& k) const noexcept { return static_cast<std::size_t>(k.low); }
  };
  struct shard {
    mutable std::mutex lock;
    std::list<entry> lru;  // most recently used first
    std::unordered_map<cache_key, std::list<entry>::iterator, key_hash> index;
    std::size_t bytes = 0;
  };

  shard& shard_for(const cache_key& k) { return shards_[k.high % k_shards]; }
  static void erase(shard& s, std::list<entry>::iterator it);

  std::size_t shard_bytes_;
  std::function<clock::time_point()> now_;
  std::array<shard, k_shards> shards_;
};

}  // namespace llmgw::cache
