#pragma once
// What the limiter and the cache talk to: one Redis server or a Redis
// Cluster, behind one interface, so callers never care which.
//
// Every call names a routing key: the key (or one of the keys, all sharing a
// {hash tag}) the command touches. A single server ignores it; a cluster
// sends the command to the node serving that key's slot and follows MOVED
// and ASK. Commands that touch no key may pass any string.
//
// One client per worker, on the worker's io_context (not thread-safe).
// Failures (no reply at all) are redis_error values, never exceptions;
// the server's own error replies are replies.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_connection.hpp"

namespace llmgw::store {

class redis_client {
 public:
  virtual ~redis_client() = default;

  // At start-up: connect (a cluster: read its slot map) before serving.
  virtual boost::asio::awaitable<std::optional<redis_error>> connect() = 0;

  virtual boost::asio::awaitable<redis_result> command(std::string_view routing_key, redis_command args) = 0;
  // Commands sent back to back in one write to the routing key's node (a
  // limit check and a cache lookup of one request: one round trip).
  virtual boost::asio::awaitable<std::vector<redis_result>> commands(std::string_view routing_key,
                                                                     std::vector<redis_command> batch) = 0;
  // EVALSHA routed by keys[0], the script loaded on NOSCRIPT.
  virtual boost::asio::awaitable<redis_result> evalsha(const redis_script& script, std::vector<std::string> keys,
                                                       std::vector<std::string> args) = 0;

  // False while a connection this client needs is failing (backing off).
  virtual bool healthy() const = 0;
};

// options.url names the server, or for a cluster any one node of it (the
// others are learnt from CLUSTER SLOTS, with the URL's password, user and
// TLS settings; a cluster has no database number).
std::unique_ptr<redis_client> make_redis_client(boost::asio::io_context& ioc, const redis_options& options,
                                                bool cluster);

}  // namespace llmgw::store
