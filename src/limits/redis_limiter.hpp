#pragma once
// The limiter shared by every gateway instance: each request's buckets are
// decided by one Lua script (limits/bucket_script.hpp) on Redis, so limits
// hold however many instances serve a key. One per worker, on the worker's
// Redis client. When Redis cannot be asked, the configured policy applies:
// fail_open decides with this process's own memory limiter (limits then hold
// per instance), fail_closed refuses (503). A log line, at most one per
// 10 s, says which mode is in force, and another when Redis is back.
#include <chrono>
#include <memory>
#include <string>

#include "config/limits_config.hpp"
#include "limits/limiter.hpp"

namespace boost::asio {
class io_context;
}

namespace llmgw::store {
class redis_client;
struct redis_script;
}  // namespace llmgw::store

namespace llmgw::limits {

class memory_limiter;

class redis_limiter final : public limiter {
 public:
  redis_limiter(boost::asio::io_context& ioc, std::shared_ptr<store::redis_client> client,
                std::shared_ptr<memory_limiter> fallback, limits_config::store_error_policy policy);
  ~redis_limiter() override;

  // Waits for the end of the worker's turn: every take and settlement of
  // the slot of `charges` gathered by then goes in one script call
  // (settlements first, then the takes in the order they came), so a burst
  // of requests on one key costs Redis one call, not one each.
  boost::asio::awaitable<decision> take(std::span<const charge> charges) override;
  // Gathered, one per bucket with the changes summed, and sent without
  // waiting for a reply (a failure is logged, not retried): ahead of the
  // next take of the same cluster slot, or else at the end of the worker's
  // current turn of its event loop. So the requests that finish together
  // settle in one round trip, not one each.
  void adjust(const charge& c, double delta) override;
  void release(const charge& c) override;

  // Whether Redis answers, and the rate-limited log line that says so;
  // shared with the detached settle calls, which may outlive the limiter.
  struct health {
    limits_config::store_error_policy policy;
    bool failing = false;
    std::chrono::steady_clock::time_point last_log{};
    void failed(const std::string& why);
    void answered();
  };
  // The takes and settlements gathered and not sent yet.
  struct outbox;

 private:
  void queue_settlement(const charge& c, double change);
  void post_flush();

  boost::asio::io_context& ioc_;
  std::shared_ptr<store::redis_client> client_;
  std::shared_ptr<memory_limiter> fallback_;
  std::shared_ptr<const store::redis_script> script_;
  std::shared_ptr<health> health_;
  std::shared_ptr<outbox> pending_;  // shared with the flush posted to the worker
};

// A worker's Redis client for `url` (a redis:// or rediss:// URL;
// config_error when it cannot be parsed), with the short command timeout a
// request path needs.
std::shared_ptr<store::redis_client> make_redis_client_for(boost::asio::io_context& ioc, const std::string& url,
                                                           bool cluster = false);

// A Redis limiter for one worker, on its own client of `url`.
std::shared_ptr<limiter> make_redis_limiter(boost::asio::io_context& ioc, const std::string& url,
                                            std::shared_ptr<memory_limiter> fallback,
                                            limits_config::store_error_policy policy);

// At start-up, before listening: connects once to `url` and says how it
// went, for the start-up log ("redis: redis://…:6379/0: connected; rate
// limits are shared" or why not and which policy applies). Never throws for
// an unreachable server; config_error for a malformed URL.
std::string check_redis_at_start(const std::string& url, bool cluster, limits_config::store_error_policy policy);

// The Redis key of a bucket: "llmgw:tb:" (requests, tokens) or "llmgw:rl:"
// (in flight, spend) + its name (whose "{tag}" keeps a request's buckets in
// one cluster slot).
std::string redis_key_of(const charge& c);

}  // namespace llmgw::limits
