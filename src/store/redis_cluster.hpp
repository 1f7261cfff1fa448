#pragma once
// Redis Cluster: keys to slots, and a client that keeps the slot map.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

#include "store/redis_client.hpp"

namespace llmgw::store {

constexpr std::uint16_t k_cluster_slots = 16384;

// CRC16/XMODEM, the checksum Redis Cluster hashes keys with.
std::uint16_t crc16_xmodem(std::string_view data);

// The key's slot: of its hash tag when it has one (the part between the first
// '{' and the next '}', when not empty), else of the whole key.
std::uint16_t key_slot(std::string_view key);

// The slot map comes from CLUSTER SLOTS at the first command (or connect())
// and again after a MOVED (the moved slot is updated at once, the rest in the
// background); ASK sends ASKING and the command to the named node, once.
// One connection per node, made when a command first needs it. At most five
// redirections per call, then `routing`.
class redis_cluster_client final : public redis_client {
 public:
  redis_cluster_client(boost::asio::io_context& ioc, redis_options options);
  ~redis_cluster_client() override;

  boost::asio::awaitable<std::optional<redis_error>> connect() override;
  boost::asio::awaitable<redis_result> command(std::string_view routing_key, redis_command args) override;
  boost::asio::awaitable<std::vector<redis_result>> commands(std::string_view routing_key,
                                                             std::vector<redis_command> batch) override;
  boost::asio::awaitable<redis_result> evalsha(const redis_script& script, std::vector<std::string> keys,
                                               std::vector<std::string> args) override;
  bool healthy() const override;

  // For tests and metrics.
  std::size_t known_nodes() const;
  std::uint64_t map_refreshes() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace llmgw::store
