#pragma once
// The gateway's request handler for one worker: authenticate, decode and
// validate, route, call the upstream (with failover) and respond. It owns no
// shared state: the immutable snapshot is shared by all workers, the
// connection pool and scratch buffers belong to this worker alone.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/keys.hpp"
#include "config/config.hpp"
#include "core/memory_budget.hpp"
#include "core/secret_scrubber.hpp"
#include "core/string_pool.hpp"
#include "http/server.hpp"
#include "http/upstream.hpp"
#include "providers/provider.hpp"
#include "routing/router.hpp"
#include "usage/record_queue.hpp"

namespace llmgw::api {

// Everything built once from the configuration and shared read-only.
struct gateway_state {
  config cfg;
  router routes;
  key_store keys;
  // Every vendor credential of cfg (API keys, AWS secret key and session
  // token): what a vendor sends back is cleaned of them before a client sees it.
  secret_scrubber scrubber;
  bool demo_mode = false;
  bool ready = false;  // at least one vendor can be routed to

  gateway_state(config c, bool demo);
};

class request_scope;

class gateway {
 public:
  // `budget` is the worker's bound on buffered bodies (shared with its server);
  // `records` the worker's queue of finished requests to the record writer
  // (nullptr: requests are not recorded).
  gateway(boost::asio::io_context& ioc, std::shared_ptr<const gateway_state> state, memory_budget& budget,
          usage::record_queue* records);

  boost::asio::awaitable<void> handle(http::request& req, http::response_writer& out);

  // Body for errors the HTTP server answers itself (400, 408, 413, 431,
  // 500…), in the shape of the API the request's path belongs to.
  static std::string render_protocol_error(const http::protocol_error& e);

 private:
  boost::asio::awaitable<void> handle_chat(request_scope& rs);
  boost::asio::awaitable<void> handle_embeddings(request_scope& rs);
  boost::asio::awaitable<void> handle_models(request_scope& rs);
  // POST /v1/messages and /v1/messages/count_tokens (messages.cpp).
  boost::asio::awaitable<void> handle_messages(request_scope& rs);
  boost::asio::awaitable<void> send_error(request_scope& rs, const gateway_error& e);
  // Removes vendor credentials from every field of a vendor's error.
  void scrub(gateway_error& e) const;

  struct attempt_result;
  boost::asio::awaitable<void> proxy(request_scope& rs, const route& r, endpoint ep, std::string_view body, bool stream,
                                     bool client_wants_usage);
  boost::asio::awaitable<bool> relay_stream(request_scope& rs, http::upstream_call& call, bool client_wants_usage,
                                            const providers::provider* adapter, bool passthrough);

  const http::origin& origin_for(const provider_config& p);
  // The cached start of the request head for this provider and endpoint;
  // nullptr when the provider has no such endpoint. Valid until the next call
  // (read it before any co_await).
  const std::string* head_prefix_for(const provider_config& p, endpoint ep, std::string_view model);

  std::shared_ptr<const gateway_state> state_;
  memory_budget& budget_;
  usage::record_queue* records_;
  http::upstream_pool pool_;
  string_pool buffers_;
  std::unordered_map<const provider_config*, http::origin> origins_;
  std::unordered_map<const provider_config*, std::array<std::optional<std::string>, 3>> head_prefixes_;
  std::string azure_head_;
  std::mt19937_64 rng_;
};

}  // namespace llmgw::api
