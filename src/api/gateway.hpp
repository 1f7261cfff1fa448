#pragma once
// The gateway's request handler for one worker: the request pipeline of
// src/README.md, one named member function per stage —
//   authenticate → decode → route → admit → cache lookup → attempts →
//   respond → account
// — over one request_context that each stage fills in. It owns no shared
// state: the immutable snapshot is shared by all workers, the connection
// pool and scratch buffers belong to this worker alone.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/request_context.hpp"
#include "api/usage_api.hpp"
#include "auth/keys.hpp"
#include "cache/cache.hpp"
#include "cache/key_memo.hpp"
#include "config/config.hpp"
#include "core/memory_budget.hpp"
#include "core/secret_scrubber.hpp"
#include "core/string_pool.hpp"
#include "cost/price_book.hpp"
#include "http/server.hpp"
#include "http/upstream.hpp"
#include "limits/limiter.hpp"
#include "limits/memory_limiter.hpp"
#include "metrics/registry.hpp"
#include "providers/provider.hpp"
#include "routing/balancer.hpp"
#include "routing/deployment_health.hpp"
#include "routing/hedge_budget.hpp"
#include "routing/router.hpp"
#include "usage/record_queue.hpp"

namespace llmgw::store {
class redis_client;
}

namespace llmgw::api {

// The response cache's name for the API a client speaks.
inline cache::answer_api answer_api_of(client_api api) {
  return api == client_api::anthropic ? cache::answer_api::anthropic : cache::answer_api::openai;
}

// Everything built once from the configuration and shared read-only.
struct gateway_state {
  config cfg;
  router routes;
  key_store keys;
  // Every vendor credential of cfg (API keys, AWS secret key and session
  // token): what a vendor sends back is cleaned of them before a client sees it.
  secret_scrubber scrubber;
  // Shared by every worker (and, with Redis, every instance); mutable state
  // behind a const gateway_state.
  std::shared_ptr<limits::memory_limiter> memory_limiter;
  // The response cache, shared by every worker (it locks inside); null when
  // the configuration has none.
  std::shared_ptr<cache::response_cache> cache;
  // The price catalog (config `prices:`, prices_file, built-in table),
  // replaced whole when the prices file is reloaded. Throws at start when
  // the prices file does not load.
  std::shared_ptr<cost::price_book> prices;
  // GET /v1/usage's queries, on a thread of their own; null when usage records are off.
  std::unique_ptr<api::usage_queries> queries;
  // Which group deployments are cooling (every worker's failures count).
  std::unique_ptr<deployment_health> health;
  // Each policy group's hedges (by route::policy_index), every worker's requests counted.
  std::vector<std::unique_ptr<hedge_budget>> hedge_budgets;
  // Every worker's counters; a scrape (GET /metrics) sums them.
  std::shared_ptr<metrics::registry> metrics;
  bool demo_mode = false;
  bool ready = false;  // at least one vendor can be routed to

  gateway_state(config c, bool demo);
};

struct decoded_request;
struct attempt_plan;
struct running_attempt;
struct hedge_race;

// The stages, in the order a request meets them.
enum class stage : std::uint8_t { authenticate, decode, route, admit, cache_lookup, attempts, respond, account };
std::string_view name_of(stage s);

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
  // A request the server answered before the handler saw it: its record.
  void record_rejection(const http::rejected_request& r);

  // Called as each stage begins (tracing, stage timings; tests use it to
  // make a stage fail). May throw: the request then ends with a 500; at
  // account (entered once the answer is out, before the record is
  // finished) the answer has gone, so the connection is closed and the
  // record says internal error.
  using stage_listener = std::function<void(stage, request_context&)>;
  void set_stage_listener(stage_listener f) { on_stage_ = std::move(f); }

 private:
  using decode_result = boost::system::result<decoded_request, gateway_error>;

  // Runs the stages; every early return leaves an answer sent. A streamed
  // answer is handed back instead, to be relayed by respond_stream once
  // these stages' frames (the decoded request, the route, the attempt loop)
  // are gone: a stream may run for minutes, and they would be held per stream.
  boost::asio::awaitable<std::unique_ptr<running_attempt>> run(request_context& ctx);
  void enter(stage s, request_context& ctx);

  // authenticate: the key → the caller; nullopt when refused (answer the error).
  std::optional<gateway_error> authenticate(request_context& ctx);
  // decode: validate the body in the client's API.
  decode_result decode(request_context& ctx);
  // route: model → deployments.
  route_result route_request(request_context& ctx, const decoded_request& d);
  // admit: the caller's rate limits (key, key + model) and budgets (key,
  // team), all or nothing; the error when refused. Deployment limits are
  // taken per attempt.
  boost::asio::awaitable<std::optional<gateway_error>> admit(request_context& ctx, const decoded_request& d,
                                                             const route& r);
  // Waits before a retry; false when the client left (or shutdown came) meanwhile.
  boost::asio::awaitable<bool> pause(request_context& ctx, std::chrono::milliseconds wait);
  // What a request may cost at most in USD, for the budgets' reservation:
  // the dearest deployment of its route at these token counts (0: none of
  // them has a price).
  double estimate_cost(const route& r, std::uint64_t prompt_tokens, std::uint64_t output_tokens);
  // cache lookup: ctx.cache_store says whether and how the answer is stored.
  // Split in two so that, with Redis, the lookup goes out in the same write
  // as the admit stage's limit check: first what to ask (the key, the TTL,
  // the client's cache-control; `answered` when a bad cache header was
  // answered with 400), then what the answer means (true: a hit was sent).
  struct cache_question {
    bool answered = false;
    bool lookup = false;
    cache::cache_key key;
    cache::rendering as;  // how a hit will be answered
  };
  boost::asio::awaitable<cache_question> prepare_cache_lookup(request_context& ctx, const decoded_request& d,
                                                              const route& r);
  boost::asio::awaitable<bool> finish_cache_lookup(request_context& ctx, const decoded_request& d,
                                                   std::optional<cache::cache_hit> hit);
  boost::asio::awaitable<void> respond_cached(request_context& ctx, const decoded_request& d,
                                              const cache::cache_hit& hit);
  // After a complete answer: stores it when the lookup planned a store.
  boost::asio::awaitable<void> cache_store(request_context& ctx, std::optional<cache::cached_answer> answer);
  // attempts: the deployments in order, until one answers or none is left;
  // the attempt whose stream has content is handed back (nullptr otherwise).
  boost::asio::awaitable<std::unique_ptr<running_attempt>> attempts(request_context& ctx, const decoded_request& d,
                                                                    const route& r);
  // Plans route attempt `index` into `a`, takes its deployment's quota and
  // opens its record and call (not started yet).
  enum class launch_result : std::uint8_t { ready, skip, stop };
  boost::asio::awaitable<launch_result> launch(request_context& ctx, const decoded_request& d, const route& r,
                                               std::size_t index, running_attempt& a,
                                               std::optional<gateway_error>& refusal);
  // Starts the call and reads until the answer has content or fails (see running_attempt).
  boost::asio::awaitable<void> run_to_content(request_context& ctx, const decoded_request& d, running_attempt& a);
  // The two sides of a hedged attempt: the first one, and the hedge that
  // starts beside it when the first has no content by the hedge delay.
  boost::asio::awaitable<void> race_first(request_context& ctx, const decoded_request& d, hedge_race& race);
  boost::asio::awaitable<void> race_hedge(request_context& ctx, const decoded_request& d, hedge_race& race);
  // One place decides an attempt's vendor head and body; a gateway_error
  // when this deployment cannot serve the request (`retry` says whether
  // the next one may).
  std::optional<gateway_error> plan_attempt(request_context& ctx, const decoded_request& d, const route_attempt& a,
                                            attempt_plan& plan, bool& retry);
  // respond: the vendor's answer, in the client's API.
  boost::asio::awaitable<std::optional<gateway_error>> respond_json(request_context& ctx, const decoded_request& d,
                                                                    running_attempt& a, bool& retry);
  // The stream of the attempt that won, relayed to its end; a client that
  // hangs up (or shutdown past the drain time) cancels its call meanwhile.
  boost::asio::awaitable<void> respond_stream(request_context& ctx, std::unique_ptr<running_attempt> a);
  boost::asio::awaitable<void> relay_stream(request_context& ctx, running_attempt& a);
  boost::asio::awaitable<void> respond_error(request_context& ctx, const gateway_error& e);
  // The small endpoints.
  boost::asio::awaitable<void> respond_models(request_context& ctx);
  boost::asio::awaitable<void> respond_metrics(request_context& ctx);
  // GET /v1/usage (api/usage_api.cpp).
  boost::asio::awaitable<void> respond_usage(request_context& ctx);
  // account: the record goes to the writer (exactly once).
  void account(request_context& ctx);
  // The price of one attempt's deployment, from this worker's copy of the
  // catalog (refreshed when the book's version moves).
  std::optional<cost::model_price> price_of(const route_attempt& a);
  // Takes the book's new catalog when its version moved (one atomic load
  // when it did not), and re-prices the balancer's deployments with it.
  void refresh_prices();
  // price_of without the version check.
  std::optional<cost::model_price> lookup_price(const route_attempt& a);
  // Gives the balancer every group deployment's blended price (the cost
  // strategy), so a pick compares numbers: no lookup, lock or allocation.
  void price_deployments();

  // Removes vendor credentials from every field of a vendor's error.
  void scrub(gateway_error& e) const;
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
  // This worker's in-flight counts and first-byte times per group deployment.
  balancer balancer_;
  stage_listener on_stage_;
  record_pool record_pool_;
  std::shared_ptr<const cost::price_catalog> prices_;
  std::uint64_t prices_version_ = 0;
  // Prices found, by provider and model (cleared with a new catalog, and
  // when it grows past a bound: clients choose model names). The key is
  // built in price_key_, whose buffer is reused: a repeated lookup allocates nothing.
  std::unordered_map<std::string, std::optional<cost::model_price>> price_memo_;
  std::string price_key_;
  // The state's memory limiter, or this worker's Redis limiter (REDIS_URL).
  std::shared_ptr<limits::limiter> limiter_;
  // The state's memory cache, or this worker's Redis cache; null: no cache.
  std::shared_ptr<cache::response_cache> cache_;
  cache::key_memo key_memo_;  // the keys of the bodies this worker saw lately
  // This worker's block of the state's metrics registry.
  metrics::worker_metrics& metrics_;
  // The Redis client of limiter_ and cache_ (REDIS_URL), for its health in
  // the metrics; null without Redis.
  std::shared_ptr<store::redis_client> redis_;
  // Both the limiter and the cache ask Redis: the admission and the lookup
  // go out together, so a request waits one round trip, not two. In memory
  // both answer at once, and two spawned coroutines would only cost.
  bool admit_beside_lookup_ = false;
};

}  // namespace llmgw::api
