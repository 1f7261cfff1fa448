#pragma once
// One connection to one Redis server, living on one worker's io_context
// (not thread-safe: every call on the context's thread).
//
// Automatic pipelining: commands issued by concurrent coroutines while a
// write is in flight are queued and leave together in the next single write;
// replies are matched to commands in order (FIFO). A command waits at most
// its timeout for its reply. A broken connection fails every pending command
// at once; the next command reconnects, with exponential backoff after a
// failure (commands fail fast with `backing_off` while it lasts). A command
// timeout also counts as a failure: the connection is closed, because a
// server that did not answer one command in time will not answer the ones
// queued behind it sooner.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/redis_reply.hpp"
#include "store/redis_url.hpp"

namespace llmgw::store {

struct redis_options {
  redis_url url;
  std::chrono::milliseconds connect_timeout{2'000};  // TCP + TLS + AUTH + SELECT
  std::chrono::milliseconds command_timeout{1'000};  // from the call to its reply, a connect on the way included
  std::chrono::milliseconds backoff_initial{50};     // after the first failed connect, doubling up to
  std::chrono::milliseconds backoff_max{2'000};
  std::string tls_ca_file;  // rediss: the CAs to trust; empty = the system's store
};

// A Lua script called by its SHA1 (EVALSHA) and loaded when the server does
// not know it (NOSCRIPT: after a restart or SCRIPT FLUSH).
struct redis_script {
  explicit redis_script(std::string source);
  std::string source;
  std::string sha1;  // lowercase hex
};

using redis_command = std::vector<std::string>;

// EVALSHA sha1 numkeys keys... args... (single server and cluster alike).
redis_command evalsha_command(const redis_script& script, std::vector<std::string> keys, std::vector<std::string> args);

class redis_connection {
 public:
  redis_connection(boost::asio::io_context& ioc, redis_options options);
  ~redis_connection();  // fails pending commands with `disconnected`
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Connects now (at start-up), instead of on the first command: nullopt
  // once connected (and answering PING), else why not.
  boost::asio::awaitable<std::optional<redis_error>> connect();

  // The command is encoded before the first suspension; the caller keeps it
  // alive across the co_await (a temporary in the co_await expression does).
  boost::asio::awaitable<redis_result> command(const redis_command& args);
  // Several commands queued back to back (never interleaved with another
  // coroutine's: ASKING + command, or a limiter check and a cache lookup that
  // must share one write), one result each, in order.
  boost::asio::awaitable<std::vector<redis_result>> commands(const std::vector<redis_command>& batch);

  // EVALSHA, loading the script (SCRIPT LOAD) and retrying once on NOSCRIPT.
  boost::asio::awaitable<redis_result> evalsha(const redis_script& script, std::vector<std::string> keys,
                                               std::vector<std::string> args);
  boost::asio::awaitable<redis_result> script_load(const redis_script& script);

  // Connected, or not yet tried: false while a failure's backoff lasts.
  bool healthy() const;

  struct counters {
    std::uint64_t writes = 0;    // socket writes carrying commands
    std::uint64_t commands = 0;  // commands written
    std::uint64_t connects = 0;  // connections established (AUTH/SELECT done)
    std::uint64_t failures = 0;  // connections lost or never made
  };
  counters stats() const;
  const redis_options& options() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace llmgw::store
