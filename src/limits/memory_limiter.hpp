#pragma once
// The limiter of one process: every worker thread shares it, so a key's
// limits hold across workers. Buckets live in shards, each behind its own
// mutex; one request's charges lock their shards in a fixed order, so the
// decision is all or nothing without a global lock.
#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include "limits/limiter.hpp"
#include "limits/token_bucket.hpp"

namespace llmgw::limits {

class memory_limiter final : public limiter {
 public:
  boost::asio::awaitable<decision> take(std::span<const charge> charges) override;
  void adjust(const charge& c, double delta) override;
  void release(const charge& c) override;

  // The decision itself, without a coroutine (tests, and the Redis limiter's
  // fail-open fallback). `now` is injectable for tests.
  decision take_now(std::span<const charge> charges, token_bucket::clock::time_point now);
  void adjust_at(const charge& c, double delta, token_bucket::clock::time_point now);

 private:
  struct state {
    token_bucket bucket;          // requests and tokens
    std::uint64_t in_flight = 0;  // parallel
    double spent = 0;             // spend
  };
  // xxHash's XXH3 for the bucket names (about 20 bytes): a quarter of the
  // instructions of std::hash's, three or four times a request.
  struct name_hash {
    std::size_t operator()(const std::string& name) const noexcept;
  };
  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, state, name_hash> buckets;
  };
  static constexpr std::size_t k_shards = 32;
  std::size_t shard_of(const std::string& bucket) const;
  std::array<shard, k_shards> shards_;
};

}  // namespace llmgw::limits
