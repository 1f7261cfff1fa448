// The single-server client and the factory choosing between it and the
// cluster client.
#include "store/redis_client.hpp"

#include "store/redis_cluster.hpp"

namespace llmgw::store {

namespace asio = boost::asio;

namespace {

class redis_single_client final : public redis_client {
 public:
  redis_single_client(asio::io_context& ioc, const redis_options& options) : conn_(ioc, options) {}

  asio::awaitable<std::optional<redis_error>> connect() override { co_return co_await conn_.connect(); }

  asio::awaitable<redis_result> command(std::string_view, redis_command args) override {
    co_return co_await conn_.command(std::move(args));
  }

  asio::awaitable<std::vector<redis_result>> commands(std::string_view, std::vector<redis_command> batch) override {
    co_return co_await conn_.commands(std::move(batch));
  }

  asio::awaitable<redis_result> evalsha(const redis_script& script, std::vector<std::string> keys,
                                        std::vector<std::string> args) override {
    co_return co_await conn_.evalsha(script, std::move(keys), std::move(args));
  }

  bool healthy() const override { return conn_.healthy(); }

 private:
  redis_connection conn_;
};

}  // namespace

std::unique_ptr<redis_client> make_redis_client(asio::io_context& ioc, const redis_options& options, bool cluster) {
  if (cluster) return std::make_unique<redis_cluster_client>(ioc, options);
  return std::make_unique<redis_single_client>(ioc, options);
}

}  // namespace llmgw::store
