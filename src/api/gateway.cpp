// The pipeline's driver and its first stages: dispatch, authenticate,
// decode, route, admit and the cache lookup, the small endpoints, and the
// account stage. The attempts at vendors live in attempts.cpp, the answers
// to the client in respond.cpp.
#include "api/gateway.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>

#include "api/client_api.hpp"
#include "api/decoded_request.hpp"
#include "api/models.hpp"
#include "api/request_context.hpp"
#include "api/request_metadata.hpp"
#include "api/running_attempt.hpp"
#include "cache/canonical_chat.hpp"
#include "cache/key_memo.hpp"
#include "cache/memory_cache.hpp"
#include "cache/redis_cache.hpp"
#include "core/header_value.hpp"
#include "core/json_escape.hpp"
#include "cost/builtin_prices.hpp"
#include "cost/cost.hpp"
#include "cost/price_reloader.hpp"
#include "limits/memory_limiter.hpp"
#include "limits/redis_limiter.hpp"
#include "metrics/exposition.hpp"
#include "store/redis_client.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

// Awaits `a` and keeps its result in `out`.
template <class T>
asio::awaitable<void> store_into(asio::awaitable<T> a, T& out) {
  out = co_await std::move(a);
}

// One piece of work run beside the caller's own (at once, up to its first
// wait) and waited for after it: the limit check beside the cache lookup,
// so both go to Redis in one write. One spawned coroutine and a timer rather
// than a parallel group, whose two spawns, shared state and cancellation
// slots (blocks from aligned_alloc, past the program's block cache) cost
// about 3k instructions a request (callgrind). Nothing cancels a request's
// coroutine, and the caller always waits for the side task to end, so what
// the task writes into the caller's frame never outlives it.
class side_task {
 public:
  explicit side_task(const asio::any_io_executor& ex) : ended_(ex, asio::steady_timer::time_point::max()) {}
  side_task(const side_task&) = delete;
  side_task& operator=(const side_task&) = delete;

  void start(asio::awaitable<void> work) {
    asio::co_spawn(ended_.get_executor(), std::move(work), [this](std::exception_ptr e) {
      error_ = std::move(e);
      done_ = true;
      ended_.cancel();
    });
  }
  // Rethrows what the task threw.
  asio::awaitable<void> wait() {
    while (!done_) co_await ended_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (error_) std::rethrow_exception(error_);
  }

 private:
  asio::steady_timer ended_;
  bool done_ = false;
  std::exception_ptr error_;
};

secret_scrubber vendor_secrets(const config& cfg) {
  std::vector<std::string_view> secrets;
  for (const auto& p : cfg.providers) {
    for (const std::string* s : {&p.api_key, &p.aws_secret_access_key, &p.aws_session_token}) {
      if (!s->empty()) secrets.push_back(*s);
    }
  }
  return secret_scrubber(secrets);
}

// "/v1/chat/completions" and "/chat/completions" name the same endpoint:
// clients are configured both ways.
std::string_view strip_v1(std::string_view path) {
  if (path.starts_with("/v1/")) return path.substr(3);
  if (path == "/v1") return "/";
  return path;
}

// 401, telling a missing key from a wrong one in the words of the client's
// API: OpenAI's SDKs send a bearer token, Anthropic's send x-api-key.
gateway_error key_refused(client_api api, bool key_sent) {
  gateway_error e = key_sent ? invalid_api_key() : missing_api_key();
  if (api == client_api::anthropic) {
    e.message = key_sent ? "invalid x-api-key: the gateway key sent is not one this gateway knows."
                         : "x-api-key header is required: send your gateway key in it "
                           "(an Authorization: Bearer header is accepted too).";
  }
  return e;
}

// What the record says when the server refused a body the handler asked for.
std::string_view body_refusal(int status) {
  switch (status) {
    case 400:
      return "malformed request body";
    case 408:
      return "request body timeout";
    case 413:
      return "request body too large";
    case 503:
      return "gateway memory limit";
    default:
      return "request body not read";
  }
}

// count_tokens takes a Messages body without max_tokens, and is only ever
// passed through to Anthropic, which checks the rest.
boost::system::result<providers::messages_request, gateway_error> read_count_tokens_request(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return invalid_request("The request body is not a JSON object.");
  const auto* model = doc.get_object().if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty())
    return invalid_request("model: Field required", "model");
  if (has_control_char(model->get_string()))
    return invalid_request("model: Control characters are not allowed in a model name", "model");
  const auto* messages = doc.get_object().if_contains("messages");
  if (!messages || !messages->is_array()) return invalid_request("messages: Field required", "messages");
  providers::messages_request r;
  r.info.model = std::string(model->get_string());
  return r;
}

// The answer to a request that failed inside the gateway: one object, not
// a temporary in the frame of every request (held for as long as a stream runs).
const gateway_error& internal_failure() {
  static const gateway_error e = internal_error("The gateway failed while handling this request.");
  return e;
}

}  // namespace

std::string_view name_of(stage s) {
  switch (s) {
    case stage::authenticate:
      return "authenticate";
    case stage::decode:
      return "decode";
    case stage::route:
      return "route";
    case stage::admit:
      return "admit";
    case stage::cache_lookup:
      return "cache_lookup";
    case stage::attempts:
      return "attempts";
    case stage::respond:
      return "respond";
    case stage::account:
      break;
  }
  return "account";
}

std::shared_ptr<cache::response_cache> make_cache(const cache_config& c) {
  // With Redis each worker makes its own (gateway::gateway); none is shared.
  if (c.backend == cache_backend::off || c.redis_requested) return nullptr;
  return std::make_shared<cache::memory_cache>(c.max_bytes);
}

gateway_state::gateway_state(config c, bool demo)
    : cfg(std::move(c)),
      routes(cfg),
      keys(cfg),
      scrubber(vendor_secrets(cfg)),
      memory_limiter(std::make_shared<limits::memory_limiter>()),
      cache(make_cache(cfg.cache)),
      prices(std::make_shared<cost::price_book>(cost::initial_catalog(
          cfg.prices_file, std::make_shared<const cost::price_table>(cost::table_from_config(cfg.prices)),
          &cost::builtin_prices()))),
      queries(cfg.usage.enabled ? std::make_unique<api::usage_queries>(cfg.usage) : nullptr),
      health(std::make_unique<deployment_health>(routes.deployment_count())),
      metrics(std::make_shared<metrics::registry>()),
      demo_mode(demo) {
  for (std::size_t i = 0; i < routes.policy_count(); ++i) {
    hedge_budgets.push_back(
        std::make_unique<hedge_budget>(routes.policy_at(i).hedge_max_ratio, group_policy::k_hedge_burst));
  }
  for (const auto& p : routes.providers()) ready = ready || p.enabled;
}

gateway::gateway(asio::io_context& ioc, std::shared_ptr<const gateway_state> state, memory_budget& budget,
                 usage::record_queue* records)
    : state_(std::move(state)),
      budget_(budget),
      records_(records),
      pool_(ioc),
      rng_(std::random_device{}()),
      balancer_(state_->routes.deployment_count()),
      metrics_(state_->metrics->add_worker()) {
  prices_version_ = state_->prices->version();
  prices_ = state_->prices->snapshot();
  price_deployments();
  // With REDIS_URL each worker asks Redis on its own connection; the
  // process's memory limiter is its fallback when Redis cannot be asked.
  // One Redis client per worker serves both the limiter and the cache.
  limiter_ = state_->memory_limiter;
  cache_ = state_->cache;
  if (!state_->cfg.redis_url.empty()) {
    auto redis = limits::make_redis_client_for(ioc, state_->cfg.redis_url, state_->cfg.redis_cluster);
    redis_ = redis;
    limiter_ =
        std::make_shared<limits::redis_limiter>(ioc, redis, state_->memory_limiter, state_->cfg.limits.on_store_error);
    if (state_->cfg.cache.backend != cache_backend::off && state_->cfg.cache.redis_requested) {
      cache_ = std::make_shared<cache::redis_cache>(redis);
      admit_beside_lookup_ = true;
    }
  }
}

std::string gateway::render_protocol_error(const http::protocol_error& p) {
  gateway_error e;
  e.status = p.status;
  e.type = p.status >= 500 ? "server_error" : "invalid_request_error";
  e.message = std::string(p.message);
  std::string body;
  render_error(client_api_for_path(p.path), e, body);
  return body;
}

void gateway::record_rejection(const http::rejected_request& r) {
  usage::request_record rec;
  rec.ended = std::chrono::system_clock::now();
  rec.request_id = r.request_id;
  usage::assign_field(rec.method, r.method);
  usage::assign_field(rec.path, r.error.path);
  rec.client_api = client_api_for_path(r.error.path) == client_api::anthropic ? "anthropic" : "openai";
  rec.status = r.error.status;
  rec.error = r.error.message;
  rec.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.began).count();
  rec.bytes_out = static_cast<std::int64_t>(r.body_bytes_out);
  metrics_.observe(rec, false);
  if (records_ == nullptr) return;
  records_->try_push([&](usage::request_record& slot) { usage::copy_record(rec, slot); });
}

const http::origin& gateway::origin_for(const provider_config& p) {
  auto it = origins_.find(&p);
  if (it == origins_.end()) it = origins_.emplace(&p, http::origin::make(p.host, p.port, p.tls)).first;
  return it->second;
}

void gateway::enter(stage s, request_context& ctx) {
  if (on_stage_) on_stage_(s, ctx);
}

asio::awaitable<void> gateway::handle(http::request& req, http::response_writer& out) {
  request_context ctx(req, out, records_, record_pool_, &metrics_);
  bool failed = false;
  try {
    auto stream = co_await run(ctx);
    if (stream) co_await respond_stream(ctx, std::move(stream));
    enter(stage::account, ctx);  // the answer is out (a stage that threw is accounted below)
  } catch (const std::exception& e) {
    failed = true;
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"request failed\",\"request_id\":\"%.*s\",\"what\":\"%s\"}\n",
                 static_cast<int>(ctx.id.view().size()), ctx.id.view().data(), e.what());
  } catch (...) {
    failed = true;
  }
  if (failed) {
    // In the client's API and with the request's own id; a response already
    // begun cannot be finished cleanly and is cut instead.
    if (!out.started()) {
      co_await respond_error(ctx, internal_failure());
    } else {
      ctx.set_error(ctx.record.status == 0 ? out.status() : ctx.record.status, "internal error");
      out.abort();
    }
    ctx.record.error = "internal error";
  }
  account(ctx);
  // As of this worker's last finished request: a virtual call and a store.
  if (redis_) metrics_.set_redis_up(redis_->healthy());
}

asio::awaitable<std::unique_ptr<running_attempt>> gateway::run(request_context& ctx) {
  http::request& req = ctx.req;
  const auto path = strip_v1(req.path());
  const auto method = req.method();

  if (path == "/health" || path == "/health/ready" || path == "/health/live") {
    // Readiness: the configuration is loaded and workers are serving. A
    // gateway with no routable vendor is alive but not ready.
    const bool ready = path != "/health/ready" || state_->ready;
    const std::string_view body = ready ? R"({"status":"ok"})" : R"({"status":"no provider"})";
    const int status = ready ? 200 : 503;
    const auto headers = ctx.headers();  // named: a temporary must not span the co_await (GCC 12)
    co_await ctx.out.send(status, "application/json", body, headers);
    ctx.skip_record();  // load balancers poll these: not in the access log
    co_return nullptr;
  }
  // Prometheus scrapes /metrics (not under /v1, which is the vendors' API).
  if (req.path() == "/metrics") {
    co_await respond_metrics(ctx);
    co_return nullptr;
  }

  if (path == "/usage") {
    co_await respond_usage(ctx);
    co_return nullptr;
  }

  const bool models = path == "/models" || path.starts_with("/models/");
  const bool known = ctx.api == client_api::anthropic || models || path == "/chat/completions" || path == "/embeddings";
  if (!known) {
    co_await respond_error(ctx, not_found_route(method, req.path()));
    co_return nullptr;
  }
  // HEAD is GET without the body (the server leaves it out).
  if ((models && method != "GET" && method != "HEAD") || (!models && method != "POST")) {
    co_await respond_error(ctx, method_not_allowed(method, req.path()));
    co_return nullptr;
  }

  enter(stage::authenticate, ctx);
  if (auto refused = authenticate(ctx)) {
    co_await respond_error(ctx, *refused);
    co_return nullptr;
  }
  // Only now, with the key accepted, is the body read (and a client waiting
  // for "100 Continue" told to send it): an unauthenticated client cannot
  // make the gateway buffer anything.
  if (!co_await req.read_body()) {
    // The server has answered (400, 408, 413, 503), or the client is gone.
    if (ctx.out.started()) {
      ctx.set_error(ctx.out.status(), body_refusal(ctx.out.status()));
    } else {
      ctx.client_gone();
    }
    co_return nullptr;
  }
  ctx.record.bytes_in = static_cast<std::int64_t>(req.body().size());
  if (models) {
    co_await respond_models(ctx);
    co_return nullptr;
  }

  enter(stage::decode, ctx);
  auto decoded = decode(ctx);
  if (!decoded) {
    co_await respond_error(ctx, decoded.error());
    co_return nullptr;
  }
  enter(stage::route, ctx);
  auto routed = route_request(ctx, *decoded);
  if (!routed) {
    co_await respond_error(ctx, routed.error());
    co_return nullptr;
  }
  ctx.routed = true;
  enter(stage::admit, ctx);
  // What the cache will be asked is known before admission (no I/O), so a
  // limit check and a lookup that both go to Redis leave in one write.
  const cache_question question = co_await prepare_cache_lookup(ctx, *decoded, *routed);
  if (question.answered) co_return nullptr;
  std::optional<gateway_error> refused;
  std::optional<cache::cache_hit> hit;
  if (question.lookup && ctx.caller_limits != nullptr && admit_beside_lookup_) {
    // The limit check first: it runs at once up to its wait, having queued
    // its take for the limiter's flush (posted); the lookup's command then
    // wakes the connection's writer (posted after that flush), which sends
    // both in one write.
    side_task admission(co_await asio::this_coro::executor);
    admission.start(store_into(admit(ctx, *decoded, *routed), refused));
    std::exception_ptr lookup_failed;
    try {
      hit = co_await cache_->lookup(question.key, question.as);
    } catch (...) {
      lookup_failed = std::current_exception();
    }
    co_await admission.wait();  // even when the lookup threw: admission writes into this frame
    if (lookup_failed) std::rethrow_exception(lookup_failed);
  } else {
    refused = co_await admit(ctx, *decoded, *routed);
    if (!refused && question.lookup) hit = co_await cache_->lookup(question.key, question.as);
  }
  if (refused) {
    co_await respond_error(ctx, *refused);
    co_return nullptr;
  }
  enter(stage::cache_lookup, ctx);
  if (question.lookup && co_await finish_cache_lookup(ctx, *decoded, std::move(hit))) co_return nullptr;
  enter(stage::attempts, ctx);
  co_return co_await attempts(ctx, *decoded, *routed);
}

std::optional<gateway_error> gateway::authenticate(request_context& ctx) {
  const auto presented = presented_key(ctx.req.header("authorization"), ctx.req.header("x-api-key"));
  const auto caller = presented ? state_->keys.lookup(*presented) : std::nullopt;
  if (!caller) return key_refused(ctx.api, presented.has_value());
  ctx.set_caller(*caller);
  return std::nullopt;
}

gateway::decode_result gateway::decode(request_context& ctx) {
  std::string& body = ctx.req.body();
  const auto path = strip_v1(ctx.req.path());
  decoded_request d;
  if (path == "/chat/completions") {
    auto parsed = parse_chat_request(body);
    if (!parsed) return parsed.error();
    d.chat = *parsed;
    d.stream = parsed->stream;
    d.client_wants_usage = parsed->client_include_usage;
    ctx.set_model(parsed->model.name());
    usage::assign_field(ctx.record.user_id, parsed->user);
    if (parsed->has_metadata) ctx.record.metadata = metadata_json(body);
  } else if (path == "/embeddings") {
    auto parsed = parse_embeddings_request(body);
    if (!parsed) return parsed.error();
    d.ep = endpoint::embeddings;
    d.embeddings = *parsed;
    ctx.set_model(parsed->model.name());
    usage::assign_field(ctx.record.user_id, parsed->user);
    if (parsed->has_metadata) ctx.record.metadata = metadata_json(body);
  } else {
    // A messages body is read once: a translation, if a deployment needs
    // one, reuses the validated document. count_tokens bodies have no
    // max_tokens (and are only passed through).
    auto parsed = ctx.count_tokens ? read_count_tokens_request(body) : providers::read_messages_request(body);
    if (!parsed) return parsed.error();
    d.stream = parsed->info.stream;
    d.client_wants_usage = true;  // a streamed Anthropic answer needs the usage chunk for its message_delta
    ctx.set_model(parsed->info.model);
    usage::assign_field(ctx.record.user_id, parsed->info.user_id);
    d.messages = std::move(*parsed);
  }
  d.client_body = body;  // after parsing: the parser may have moved it to make room for its padding
  ctx.record.stream = d.stream;
  return d;
}

route_result gateway::route_request(request_context& ctx, const decoded_request&) {
  route_result r = state_->routes.resolve(ctx.model, rng_());
  // The cost strategy's first pick reads the balancer's prices: current
  // ones, should the prices file have been reloaded since the last request.
  if (r && r->policy != nullptr && r->policy->strategy == balance_strategy::cost) refresh_prices();
  return r;
}

asio::awaitable<std::optional<gateway_error>> gateway::admit(request_context& ctx, const decoded_request& d,
                                                             const route& r) {
  const key_limits* limits = ctx.caller_limits;
  if (limits == nullptr) co_return std::nullopt;  // the common case costs one branch
  // What the answer may cost: the prompt by its size, the output by the
  // request's own bound (times its choices), else the reservation.
  std::optional<std::int64_t> max_output;
  if (d.chat && d.chat->max_tokens) max_output = *d.chat->max_tokens * std::max<std::int64_t>(1, d.chat->n);
  if (d.messages && !ctx.count_tokens) max_output = d.messages->info.max_tokens;
  if (d.embeddings || ctx.count_tokens) max_output = 0;  // no output tokens
  const std::uint64_t fallback = limits->reserve_output_tokens.value_or(state_->cfg.limits.reserve_output_tokens);
  const std::uint64_t tokens = admission::reserve_for(d.client_body.size(), max_output, max_output ? 0 : fallback);
  ctx.limits.charge_key(ctx.record.key_id, ctx.model, *limits, tokens);
  if (!limits->budgets.empty() || !limits->team_budgets.empty()) {
    const std::uint64_t prompt = admission::reserve_for(d.client_body.size(), 0, 0);
    ctx.limits.charge_budgets(ctx.record.key_id, *limits, estimate_cost(r, prompt, tokens - prompt),
                              std::chrono::system_clock::now());
  }
  // The team's budgets are another owner's buckets (in Redis Cluster another
  // slot): decided first, given back below if the key's own refuse.
  if (!ctx.limits.team_charges().empty()) {
    const limits::decision team = co_await limiter_->take(ctx.limits.team_charges());
    if (!team.admitted) co_return ctx.limits.refusal(team, ctx.limits.team_charges());
    ctx.limits.team_admitted(team.taken_by != nullptr ? *team.taken_by : *limiter_);
  }
  if (ctx.limits.empty()) co_return std::nullopt;
  const limits::decision decision = co_await limiter_->take(ctx.limits.charges());
  if (!decision.admitted) co_return ctx.limits.refusal(decision, ctx.limits.charges());
  ctx.limits.admitted(*limiter_, decision);
  co_return std::nullopt;
}

double gateway::estimate_cost(const route& r, std::uint64_t prompt_tokens, std::uint64_t output_tokens) {
  // Every prompt token at the uncached rate: the most it may cost.
  token_usage u;
  u.prompt_tokens = static_cast<std::int64_t>(prompt_tokens);
  u.completion_tokens = static_cast<std::int64_t>(output_tokens);
  double most = 0;
  for (const auto& a : r.attempts) {
    if (const auto p = price_of(a)) most = std::max(most, cost::compute_cost(u, *p).total());
  }
  return most;
}

namespace {

// The comma-separated directives of a Cache-Control header, case-insensitively.
bool has_directive(std::string_view header, std::string_view directive) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() == directive.size() &&
        std::equal(item.begin(), item.end(), directive.begin(), [](char a, char b) { return (a | 0x20) == b; })) {
      return true;
    }
  }
  return false;
}

// What the request may reach, in a stable order: the same for every weighted
// pick of a group, and for an alias and what it names.
std::string resolved_model(const route& r) {
  if (r.attempts.size() == 1) {  // the usual case: one string, no sort
    const auto& a = r.attempts.front();
    std::string out;
    out.reserve(a.provider->name.size() + a.model.size() + 2);
    out.append(a.provider->name).append("/").append(a.model).append("\n");
    return out;
  }
  std::vector<std::string> names;
  for (const auto& a : r.attempts) names.push_back(a.provider->name + "/" + a.model);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) {
    out.append(n);
    out.push_back('\n');
  }
  return out;
}

}  // namespace

asio::awaitable<gateway::cache_question> gateway::prepare_cache_lookup(request_context& ctx, const decoded_request& d,
                                                                       const route& r) {
  cache_question q;
  const cache_config& conf = state_->cfg.cache;
  if (!cache_ || d.ep != endpoint::chat_completions || ctx.count_tokens) co_return q;
  // The cache holds one choice: n > 1 is answered uncached.
  if (d.chat && d.chat->n != 1) {
    ctx.record.cache = usage::cache_status::skip;
    co_return q;
  }
  std::chrono::seconds ttl = conf.ttl;
  if (auto g = conf.groups.find(ctx.model); g != conf.groups.end()) {
    if (!g->second.enabled) {
      ctx.record.cache = usage::cache_status::skip;
      co_return q;
    }
    if (g->second.ttl) ttl = *g->second.ttl;
  }
  if (const auto asked = ctx.req.header("x-llmgw-cache-ttl"); !asked.empty()) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(asked.data(), asked.data() + asked.size(), seconds);
    constexpr std::int64_t k_max_ttl = 365ll * 24 * 3600;
    if (ec != std::errc{} || end != asked.data() + asked.size() || seconds < 1 || seconds > k_max_ttl) {
      co_await respond_error(
          ctx, invalid_request(
                   "x-llmgw-cache-ttl: expected whole seconds from 1 to 31536000, got \"" + std::string(asked) + "\"",
                   "x-llmgw-cache-ttl"));
      q.answered = true;
      co_return q;
    }
    ttl = std::chrono::seconds(seconds);
  }
  cache::key_space space{"key:", ctx.record.key_id};
  if (auto shared = conf.namespaces.find(ctx.record.key_name); shared != conf.namespaces.end()) {
    space = {"shared:", shared->second};
  }
  // A body seen lately has its key already (cache/key_memo.hpp).
  const std::string model = resolved_model(r);
  const auto seen = cache::identify_body(
      space, model, d.chat ? cache::answer_api::openai : cache::answer_api::anthropic, d.client_body);
  std::optional<cache::cache_key> found;
  if (const auto* known = key_memo_.find(seen)) {
    found = *known;
  } else {
    found = cache::make_key_of(space, model, [&](std::string& out) {
      return !(d.chat ? cache::canonical_openai_chat(d.client_body, out)
                      : cache::canonical_anthropic_messages(*d.messages, out));
    });
    key_memo_.remember(seen, found);
  }
  if (!found) {
    // A request the canonical form cannot hold (a part no adapter reads) is answered uncached.
    ctx.record.cache = usage::cache_status::skip;
    co_return q;
  }
  const cache::cache_key key = *found;
  const std::string_view control = ctx.req.header("cache-control");
  if (!has_directive(control, "no-store")) ctx.cache_store = request_context::cache_store_plan{key, ttl};
  if (has_directive(control, "no-cache")) {
    ctx.record.cache = usage::cache_status::skip;
    co_return q;
  }
  q.lookup = true;
  q.key = key;
  q.as = {answer_api_of(ctx.api), d.stream};
  co_return q;
}

asio::awaitable<bool> gateway::finish_cache_lookup(request_context& ctx, const decoded_request& d,
                                                   std::optional<cache::cache_hit> hit) {
  if (!hit) {
    ctx.record.cache = usage::cache_status::miss;
    co_return false;
  }
  ctx.record.cache = usage::cache_status::hit;
  ctx.cache_store.reset();  // the entry is already there
  co_await respond_cached(ctx, d, *hit);
  co_return true;
}

asio::awaitable<void> gateway::respond_cached(request_context& ctx, const decoded_request& d,
                                              const cache::cache_hit& hit) {
  const cache::cached_answer& a = *hit.answer;
  ctx.cache_age = std::to_string(hit.age.count());
  ctx.record.status = 200;
  const auto headers = ctx.headers();
  auto body = buffers_.take();
  if (!d.stream) {
    *body = ctx.api == client_api::anthropic ? cache::render_anthropic_json(a) : cache::render_openai_json(a);
    co_await ctx.out.send(200, "application/json", *body, headers);
    ctx.mark_first_byte();
    co_return;
  }
  if (ctx.api == client_api::anthropic) {
    *body = cache::render_anthropic_stream(a);
  } else {
    std::string id = "chatcmpl-";
    id.append(ctx.id.view().substr(request_id::prefix.size()));
    const auto created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    *body = cache::render_openai_stream(a, id, created, d.client_wants_usage);
  }
  // The whole replay is at hand: head, events and end leave in one write.
  if (!co_await ctx.out.begin_stream(200, "text/event-stream; charset=utf-8", headers, /*defer_head=*/true)) {
    ctx.client_gone();
    co_return;
  }
  ctx.mark_first_byte();
  if (!co_await ctx.out.end_stream_with(*body)) ctx.client_gone();
}

asio::awaitable<void> gateway::cache_store(request_context& ctx, std::optional<cache::cached_answer> answer) {
  if (!ctx.cache_store || !answer || !cache::storable(*answer, state_->cfg.cache.store_truncated)) co_return;
  // The usage the gateway read from the vendor (every wire reports it here).
  const auto count = [](std::int64_t n) { return n < 0 ? 0 : n; };
  token_usage& u = answer->completion.usage;
  u.prompt_tokens = count(ctx.record.prompt_tokens);
  u.completion_tokens = count(ctx.record.completion_tokens);
  u.total_tokens = count(ctx.record.total_tokens);
  u.cached_tokens = count(ctx.record.cached_tokens);
  u.cache_creation_tokens = count(ctx.record.cache_write_tokens);
  u.reasoning_tokens = count(ctx.record.reasoning_tokens);
  const auto plan = *ctx.cache_store;
  ctx.cache_store.reset();
  co_await cache_->store(plan.key, std::make_shared<const cache::cached_answer>(std::move(*answer)), plan.ttl);
}

asio::awaitable<void> gateway::respond_models(request_context& ctx) {
  const auto& listed = state_->routes.list_models();
  auto body = buffers_.take();
  auto& b = *body;
  const std::string_view path = strip_v1(ctx.req.path());
  if (path == "/models") {
    append_model_list(b, listed);
  } else {
    // GET /models/{id} (the SDKs' models.retrieve): any model the list shows.
    const std::string_view rest = path.substr(std::string_view("/models/").size());
    const auto id = model_id_from_path(rest);
    const model_info* m = id ? find_model(listed, *id) : nullptr;
    if (m == nullptr) {
      co_await respond_error(ctx, model_not_found(id ? std::string_view(*id) : rest));
      co_return;
    }
    ctx.set_model(m->id);
    append_model(b, *m);
  }
  ctx.record.status = 200;
  const auto headers = ctx.headers();
  co_await ctx.out.send(200, "application/json", b, headers);
  ctx.mark_first_byte();
}

asio::awaitable<void> gateway::respond_metrics(request_context& ctx) {
  // A scrape is neither a request to account nor one to count: like a
  // health check, it leaves no record.
  ctx.skip_record();
  const auto method = ctx.req.method();
  if (method != "GET" && method != "HEAD") {
    co_await respond_error(ctx, method_not_allowed(method, ctx.req.path()));
    co_return;
  }
  if (state_->cfg.metrics.require_key) {
    const auto presented = presented_key(ctx.req.header("authorization"), ctx.req.header("x-api-key"));
    const auto caller = presented ? state_->keys.lookup(*presented) : std::nullopt;
    if (!caller) {
      co_await respond_error(ctx, key_refused(ctx.api, presented.has_value()));
      co_return;
    }
    if (!caller->is_master) {
      gateway_error e = invalid_api_key();
      e.status = 403;
      e.type = "permission_error";
      e.code = "master_key_required";
      e.message = "metrics.require_key is set: only the master key may read /metrics.";
      co_await respond_error(ctx, e);
      co_return;
    }
  }
  const std::string body = state_->metrics->render();
  const auto headers = ctx.headers();
  co_await ctx.out.send(200, metrics::k_content_type, body, headers);
}

void gateway::account(request_context& ctx) { ctx.finish(); }

std::optional<cost::model_price> gateway::price_of(const route_attempt& a) {
  refresh_prices();
  return lookup_price(a);
}

void gateway::refresh_prices() {
  // One atomic load per request; the shared pointer is copied only after a reload.
  if (const std::uint64_t v = state_->prices->version(); v != prices_version_) {
    prices_version_ = v;
    prices_ = state_->prices->snapshot();
    price_memo_.clear();
    price_deployments();
  }
}

void gateway::price_deployments() {
  for (const route_attempt& a : state_->routes.deployment_attempts()) {
    const auto p = lookup_price(a);
    balancer_.set_price(a.deployment, p ? cost::blended_usd_per_mtok(*p) : std::numeric_limits<double>::infinity());
  }
}

std::optional<cost::model_price> gateway::lookup_price(const route_attempt& a) {
  if (a.price != nullptr) return prices_->find(a.price, {}, {}, a.model);
  const provider_config& p = *a.provider;
  price_key_.assign(p.name).push_back('\0');
  price_key_.append(a.model);
  if (const auto it = price_memo_.find(price_key_); it != price_memo_.end()) return it->second;
  std::string_view family = p.type;
  if (family.empty()) {
    switch (p.kind) {
      case provider_kind::azure:
        family = "azure";
        break;
      case provider_kind::anthropic:
        family = "anthropic";
        break;
      case provider_kind::gemini:
        family = "gemini";
        break;
      case provider_kind::bedrock:
        family = "bedrock";
        break;
      case provider_kind::openai_compatible:
        break;
    }
  }
  auto found = prices_->find(nullptr, p.name, family, a.model);
  constexpr std::size_t k_max_memo = 4096;
  if (price_memo_.size() >= k_max_memo) price_memo_.clear();
  price_memo_.emplace(price_key_, found);
  return found;
}

}  // namespace llmgw::api
