#include "cache/memory_cache.hpp"

namespace llmgw::cache {

memory_cache::memory_cache(std::size_t max_bytes, std::function<clock::time_point()> now)
    : shard_bytes_(max_bytes / k_shards), now_(std::move(now)) {}

boost::asio::awaitable<std::optional<cache_hit>> memory_cache::lookup(const cache_key& key, rendering) {
  co_return find(key);
}

boost::asio::awaitable<void> memory_cache::store(const cache_key& key, std::shared_ptr<const cached_answer> answer,
                                                 std::chrono::seconds ttl) {
  put(key, std::move(answer), ttl);
  co_return;
}

void memory_cache::erase(shard& s, std::list<entry>::iterator it) {
  s.bytes -= it->bytes;
  s.index.erase(it->key);
  s.lru.erase(it);
}

std::optional<cache_hit> memory_cache::find(const cache_key& key) {
  shard& s = shard_for(key);
  const auto now = now_();
  std::lock_guard guard(s.lock);
  const auto found = s.index.find(key);
  if (found == s.index.end()) return std::nullopt;
  const auto it = found->second;
  if (it->expires <= now) {
    erase(s, it);
    return std::nullopt;
  }
  s.lru.splice(s.lru.begin(), s.lru, it);
  return cache_hit{it->answer, std::chrono::duration_cast<std::chrono::seconds>(now - it->stored)};
}

void memory_cache::put(const cache_key& key, std::shared_ptr<const cached_answer> answer, std::chrono::seconds ttl) {
  // The entry's own bookkeeping counts too: many small answers must not
  // exceed the bound through their list and map nodes.
  const std::size_t cost = answer->bytes() + sizeof(entry) + 64;
  if (cost > shard_bytes_) return;  // larger than its shard could ever hold
  shard& s = shard_for(key);
  const auto now = now_();
  std::lock_guard guard(s.lock);
  if (const auto found = s.index.find(key); found != s.index.end()) erase(s, found->second);
  // The least recently used make room (an expired entry leaves when it is
  // looked up, or when it reaches the tail).
  while (s.bytes + cost > shard_bytes_ && !s.lru.empty()) erase(s, std::prev(s.lru.end()));
  s.lru.push_front(entry{key, std::move(answer), now, now + ttl, cost});
  s.index.emplace(key, s.lru.begin());
  s.bytes += cost;
}

std::size_t memory_cache::bytes() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard guard(s.lock);
    n += s.bytes;
  }
  return n;
}

std::size_t memory_cache::entries() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard guard(s.lock);
    n += s.lru.size();
  }
  return n;
}

}  // namespace llmgw::cache
