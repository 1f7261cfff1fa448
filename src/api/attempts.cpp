// The attempts stage: the route's deployments in order (failover while no
// content has reached the client), each planned in one place —
// plan_attempt() decides how the vendor is spoken to, the head and the body
// — then called and read until its answer has content. With a hedge, a
// second attempt races the first. A deployment that answers hands over to
// the respond stage (respond.cpp).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cctype>
#include <charconv>

#include "api/attempt_plan.hpp"
#include "api/attempt_sequence.hpp"
#include "api/body_model.hpp"
#include "api/decoded_request.hpp"
#include "api/gateway.hpp"
#include "api/request_context.hpp"
#include "api/running_attempt.hpp"
#include "api/upstream_failure_error.hpp"
#include "core/append_number.hpp"
#include "core/header_value.hpp"
#include "core/version.hpp"
#include "cost/cost.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_inbound.hpp"
#include "providers/openai_errors.hpp"
#include "providers/registry.hpp"

namespace llmgw::api {

using namespace std::string_view_literals;

namespace asio = boost::asio;

namespace {

// Largest vendor error body we read (the rest is dropped with the connection).
constexpr std::size_t k_max_error_body = 1024 * 1024;

void append_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": "sv);
  out.append(value);
  out.append("\r\n"sv);
}

// The request head for the vendor: the request line and host, then the
// caller's headers (our credentials, never the client's), then these.
void begin_head(std::string& out, std::string_view target, std::string_view host) {
  out.clear();
  out.append("POST "sv);
  out.append(target);
  out.append(" HTTP/1.1\r\n"sv);
  append_line(out, "host", host);
}

void end_head(std::string& out, std::size_t body_size, bool stream) {
  out.append("content-type: application/json\r\n"sv);
  out.append(stream ? "accept: text/event-stream\r\n"sv : "accept: application/json\r\n"sv);
  out.append("user-agent: llmgw/"sv);
  out.append(k_version);
  out.append("\r\ncontent-length: "sv);
  append_number(out, body_size);
  out.append("\r\n\r\n"sv);
}

// Everything of an OpenAI-compatible request head that does not depend on
// the body: request line, host, credentials, vendor headers.
std::string head_prefix(const upstream_target& t) {
  std::string out;
  begin_head(out, t.target, t.host_header);
  if (!t.auth_header_name.empty()) append_line(out, t.auth_header_name, t.auth_header_value);
  for (const auto& [name, value] : t.extra_headers) append_line(out, name, value);
  return out;
}

bool retryable_status(int status) { return status == 429 || status >= 500; }

// A vendor in trouble (as opposed to one refusing this request): counts
// towards its deployment's cooldown.
bool vendor_trouble(int status) { return status == 408 || status == 429 || status >= 500; }

// What a vendor's 400 says, in any vendor's words (the adapters keep the
// message): the prompt does not fit the model's context window.
bool context_window_error(const gateway_error& e) {
  if (e.code == "context_length_exceeded") return true;
  std::string m = e.message;
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view s : {"prompt is too long", "maximum context length", "context window", "input is too long",
                             "too many input tokens", "exceeds the maximum number of tokens"}) {
    if (m.find(s) != std::string::npos) return true;
  }
  return false;
}

bool content_policy_error(const gateway_error& e) {
  return e.code == "content_policy_violation" || e.code == "content_filter";
}

// retry-after as delta-seconds (what vendors send on 429/503); an HTTP-date
// or nothing: no time.
std::optional<std::chrono::seconds> retry_after_seconds(std::string_view v) {
  unsigned long long s = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  if (ec != std::errc{} || end != v.data() + v.size() || s > 24 * 3600) return std::nullopt;
  return std::chrono::seconds(s);
}

// The call's timeouts: the group's own where it sets them.
http::upstream_timeouts timeouts_for(const upstream_config& up, const group_policy* g) {
  http::upstream_timeouts t{up.connect_timeout, up.first_byte_timeout, up.idle_timeout, up.total_timeout};
  if (g == nullptr) return t;
  if (g->connect_timeout) t.connect = *g->connect_timeout;
  if (g->first_byte_timeout) t.first_byte = *g->first_byte_timeout;
  if (g->idle_timeout) t.idle = *g->idle_timeout;
  if (g->total_timeout) t.total = *g->total_timeout;
  return t;
}

providers::vendor_endpoint vendor_endpoint_of(const provider_config& p) {
  providers::vendor_endpoint e;
  e.host = p.host_header;
  e.base_path = p.path_prefix;
  e.api_key = p.api_key;
  e.api_version = p.api_version;
  e.aws_access_key_id = p.aws_access_key_id;
  e.aws_secret_access_key = p.aws_secret_access_key;
  e.aws_session_token = p.aws_session_token;
  e.aws_region = p.aws_region;
  return e;
}

// An Anthropic client's request to Anthropic: its own body, and its
// anthropic-version / anthropic-beta headers (so betas it opted into keep
// working; the request parser already refused control characters in them);
// our key, never the client's.
void passthrough_head(std::string& out, const provider_config& p, const http::request& client, std::size_t body_size,
                      bool stream, bool count_tokens) {
  std::string target = p.path_prefix;
  target.append(count_tokens ? "/v1/messages/count_tokens" : "/v1/messages");
  begin_head(out, target, p.host_header);
  append_line(out, "x-api-key", p.api_key);
  std::string_view version = client.header("anthropic-version");
  if (version.empty()) version = p.api_version.empty() ? providers::k_anthropic_default_version : p.api_version;
  append_line(out, "anthropic-version", version);
  if (auto beta = client.header("anthropic-beta"); !beta.empty()) append_line(out, "anthropic-beta", beta);
  end_head(out, body_size, stream);
}

// While it lives, a client that hangs up (or a shutdown past the drain time)
// cancels the running calls, and a hedge that has not started: the server
// watches the client's socket and calls back, so nothing runs per request
// beyond one registered callback.
class cancel_on_stop {
 public:
  cancel_on_stop(http::response_writer& out, std::unique_ptr<running_attempt>& first,
                 std::unique_ptr<running_attempt>& second, std::optional<asio::steady_timer>& hedge_timer)
      : out_(out) {
    out_.on_cancel([&first, &second, &hedge_timer](http::cancel_reason) {
      for (auto* a : {&first, &second}) {
        if (*a && (*a)->call) (*a)->call->cancel();
      }
      if (hedge_timer) hedge_timer->cancel();
    });
  }
  ~cancel_on_stop() { out_.clear_cancel(); }
  cancel_on_stop(const cancel_on_stop&) = delete;
  cancel_on_stop& operator=(const cancel_on_stop&) = delete;

 private:
  http::response_writer& out_;
};

}  // namespace

void finish_attempt(request_context& ctx, std::size_t index, int status, std::string_view error,
                    const http::upstream_call& call) {
  const http::call_timing t = call.timing();
  ctx.end_attempt(index, status, error, t.connect_ms, t.first_byte_ms);
}

void gateway::scrub(gateway_error& e) const {
  const secret_scrubber& s = state_->scrubber;
  for (std::string* field : {&e.message, &e.type, &e.code, &e.param, &e.retry_after}) s.scrub(*field);
}

const std::string* gateway::head_prefix_for(const provider_config& p, endpoint ep, std::string_view model) {
  // Azure puts the model in the URL: build its head per request. The others
  // have one head per endpoint, built once per worker.
  if (p.kind == provider_kind::azure) {
    auto t = make_target(p, ep, model);
    if (!t) return nullptr;
    azure_head_ = head_prefix(*t);
    return &azure_head_;
  }
  auto& slots = head_prefixes_[&p];
  auto& slot = slots[static_cast<std::size_t>(ep)];
  if (!slot) {
    auto t = make_target(p, ep, model);
    if (!t) return nullptr;
    slot = head_prefix(*t);
  }
  return &*slot;
}

std::optional<gateway_error> gateway::plan_attempt(request_context& ctx, const decoded_request& d,
                                                   const route_attempt& a, attempt_plan& plan, bool& retry) {
  const provider_config& p = *a.provider;
  const bool anthropic_client = d.messages.has_value();
  plan.provider = &p;
  plan.vendor_model = a.model;
  plan.adapter = nullptr;
  plan.encoded.reset();
  plan.scratch->clear();
  ctx.record.dropped_params.clear();
  retry = true;  // another deployment may serve what this one cannot

  if (anthropic_client && p.kind == provider_kind::anthropic) {
    // The client's own bytes, renamed when the route names another model.
    plan.kind = wire::anthropic_passthrough;
    plan.to_anthropic = false;
    plan.body = d.client_body;
    if (a.model_rewritten) {
      *plan.scratch = with_model(d.client_body, a.model);
      plan.body = *plan.scratch;
    }
    passthrough_head(*plan.head, p, ctx.req, plan.body.size(), d.stream, ctx.count_tokens);
    return std::nullopt;
  }
  if (ctx.count_tokens) {
    return not_found_error("Token counting is offered for models served by Anthropic; `" + ctx.model + "` routes to " +
                           p.name + ".");
  }
  plan.to_anthropic = anthropic_client;
  // The request in the OpenAI API: the client's bytes, or the translation
  // of an Anthropic client's (naming this deployment's model).
  std::string_view openai_body = d.client_body;
  if (anthropic_client) {
    auto t = providers::messages_to_openai(*d.messages, a.model);
    if (!t) {
      retry = false;  // the request itself cannot be expressed
      return t.error();
    }
    *plan.scratch = std::move(*t);
    openai_body = *plan.scratch;
  }

  if (const providers::provider* adapter = providers::adapter_of(p.kind)) {
    plan.kind = wire::adapter;
    plan.adapter = adapter;
    const providers::vendor_endpoint vep = vendor_endpoint_of(p);
    auto enc = d.ep == endpoint::embeddings
                   ? adapter->encode_embeddings(openai_body, vep, a.model)
                   : adapter->encode_chat(openai_body, vep,
                                          providers::chat_encode_options{.vendor_model = a.model, .stream = d.stream});
    if (!enc) {
      retry = false;  // the request cannot be expressed for this vendor
      return enc.error();
    }
    plan.encoded.emplace(std::move(*enc));
    ctx.record.dropped_params = plan.encoded->dropped_params;
    plan.body = plan.encoded->body;
    begin_head(*plan.head, plan.encoded->target, p.host_header);
    for (const auto& [name, value] : plan.encoded->headers) append_line(*plan.head, name, value);
    end_head(*plan.head, plan.body.size(), d.stream);
    return std::nullopt;
  }
  if (p.kind != provider_kind::openai_compatible && p.kind != provider_kind::azure) {
    return not_implemented("Model `" + ctx.model + "` routes to " + p.name +
                           ", whose adapter is not available in this build of llmgw.");
  }

  plan.kind = wire::openai_compatible;
  const std::string* prefix = head_prefix_for(p, d.ep, a.model);
  if (!prefix) return not_implemented("Provider " + p.name + " does not offer this endpoint.");
  plan.body = openai_body;
  // The client's bytes go unchanged unless the model name must change (an
  // alias or a group) or a stream needs the usage chunk asked for.
  if (d.chat) {
    const bool ask_usage = d.stream && !d.client_wants_usage;
    if (a.model_rewritten || ask_usage) {
      *plan.scratch =
          rewrite_chat_body(d.client_body, *d.chat,
                            a.model_rewritten ? std::optional<std::string_view>(a.model) : std::nullopt, ask_usage);
      plan.body = *plan.scratch;
    }
  } else if (d.embeddings && a.model_rewritten) {
    *plan.scratch = rewrite_model(d.client_body, d.embeddings->model.offset, d.embeddings->model.length, a.model);
    plan.body = *plan.scratch;
  }
  plan.head->assign(*prefix);
  end_head(*plan.head, plan.body.size(), d.stream);
  return std::nullopt;
}

asio::awaitable<bool> gateway::pause(request_context& ctx, std::chrono::milliseconds wait) {
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  ctx.out.on_cancel([&timer](http::cancel_reason) { timer.cancel(); });
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  ctx.out.clear_cancel();
  co_return !ec;
}

attempt_load::attempt_load(balancer& b, std::size_t deployment, const http::upstream_call& call)
    : b_(b), d_(deployment), call_(call) {
  // Outside a model group nothing is balanced: no clock read.
  if (d_ == route_attempt::k_no_deployment) return;
  started_ = std::chrono::steady_clock::now();
  b_.started(d_);
}

attempt_load::~attempt_load() {
  if (d_ == route_attempt::k_no_deployment) return;
  const auto now = std::chrono::steady_clock::now();
  const double took = std::chrono::duration<double, std::milli>(now - started_).count();
  if (failed_) {
    b_.ended(d_, std::max(took, balancer::k_failed_attempt_ms), now);
    return;
  }
  const double first_byte = call_.timing().first_byte_ms;
  b_.ended(d_, first_byte >= 0 ? first_byte : took, now);
}

// A hedged attempt while it runs: the first attempt, the hedge (started only
// when the first has no content by `timer`'s expiry), and which of them won.
struct hedge_race {
  hedge_race(const route& r, attempt_sequence& s, hedge_budget& b, asio::steady_timer& t,
             std::unique_ptr<running_attempt>& a, std::unique_ptr<running_attempt>& h)
      : route_(r), sequence(s), budget(b), timer(t), first(a), second(h) {}
  const route& route_;
  attempt_sequence& sequence;
  hedge_budget& budget;
  asio::steady_timer& timer;
  std::unique_ptr<running_attempt>& first;
  std::unique_ptr<running_attempt>& second;
  running_attempt* winner = nullptr;
  bool first_done = false;

  // `a` has content: it wins unless the other got there first; the loser's
  // connection is closed at once, so its vendor stops generating.
  void content(running_attempt& a, std::unique_ptr<running_attempt>& other) {
    if (winner == nullptr) {
      winner = &a;
      if (other && other->call) other->call->cancel();
    } else {
      a.result = running_attempt::outcome::cancelled;
      a.call->cancel();
    }
  }
};

namespace {

using outcome = running_attempt::outcome;

// The hedge delay of a group: its fixed delay, or its first deployment's
// measured p95 time to first byte (nothing while unmeasured).
std::optional<std::chrono::milliseconds> hedge_delay(const group_policy& g, const balancer& b, std::size_t deployment) {
  if (g.hedge_after) return g.hedge_after;
  const double p95 = b.p95_ttft_ms(deployment);
  if (!(p95 >= 0)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(p95) + 1);
}

}  // namespace

asio::awaitable<gateway::launch_result> gateway::launch(request_context& ctx, const decoded_request& d, const route& r,
                                                        std::size_t index, running_attempt& a,
                                                        std::optional<gateway_error>& refusal) {
  const route_attempt& ra = r.attempts[index];
  const provider_config& p = *ra.provider;
  bool retry = true;
  if (auto refused = plan_attempt(ctx, d, ra, a.plan, retry)) {
    refusal = std::move(refused);
    co_return retry ? launch_result::skip : launch_result::stop;
  }
  if (ra.limits != nullptr) {
    // A deployment at its own quota is skipped, not failed: the next one
    // is tried, and the client hears of it only when none is left.
    auto charges = ctx.limits.deployment_charges(p.name + "/" + ra.model, *ra.limits);
    const limits::decision decision = co_await limiter_->take(charges);
    if (!decision.admitted) {
      refusal = ctx.limits.refusal(decision, charges);
      co_return launch_result::skip;
    }
    ctx.limits.hold_deployment(decision.taken_by != nullptr ? *decision.taken_by : *limiter_, std::move(charges));
  }
  a.route_index = index;
  a.deployment = ra.deployment;
  a.record_index = ctx.begin_attempt(p.name, ra.model);
  a.price = price_of(ra);
  ctx.price = a.price;
  a.call.emplace(pool_, origin_for(p), timeouts_for(state_->cfg.upstream, r.policy));
  a.load.emplace(balancer_, a.deployment, *a.call);
  if (r.policy != nullptr) state_->health->asking(a.deployment, std::chrono::steady_clock::now());
  co_return launch_result::ready;
}

asio::awaitable<void> gateway::run_to_content(request_context& ctx, const decoded_request& d, running_attempt& a) {
  http::upstream_call& call = *a.call;
  const provider_config& p = *a.plan.provider;
  http::upstream_failure f = co_await call.start(*a.plan.head, a.plan.body);
  if (f != http::upstream_failure::none) {
    a.failure = f;
    a.result = f == http::upstream_failure::cancelled ? outcome::cancelled : outcome::failed;
    co_return;
  }
  a.status = call.status();
  ctx.record.attempts[a.record_index].status = a.status;
  if (a.status < 200 || a.status >= 300) {
    a.error_body->clear();
    // A body cut short (too large, timed out) is still decoded for what it says.
    f = co_await call.read_all(*a.error_body, k_max_error_body, &a.error_charge);
    if (f == http::upstream_failure::cancelled || f == http::upstream_failure::over_budget) {
      a.failure = f;
      a.result = f == http::upstream_failure::cancelled ? outcome::cancelled : outcome::failed;
      co_return;
    }
    if (a.plan.kind == wire::anthropic_passthrough) {
      a.error = providers::decode_anthropic_error(a.status, *a.error_body);
    } else if (a.plan.kind == wire::adapter) {
      a.error = a.plan.adapter->decode_error(a.status, *a.error_body);
    } else {
      a.error = providers::decode_openai_error(a.status, *a.error_body, p.name, p.api_key);
    }
    // The vendor's header wins; an adapter may have found one in the body (Gemini's RetryInfo).
    if (auto ra = call.header("retry-after"); !ra.empty()) a.error->retry_after = std::string(ra);
    a.result = outcome::vendor_error;
    co_return;
  }
  a.content_type = call.header("content-type");
  const bool sse = a.content_type.starts_with("text/event-stream");
  a.stream = d.stream && (a.plan.kind == wire::adapter || sse);
  if (!a.stream) {
    // A JSON answer's head comes when the vendor has its answer.
    a.result = outcome::content;
    co_return;
  }
  a.reader = std::make_unique<stream_reader>(
      a.plan, stream_reader_options{ctx.model, ctx.id.view().substr(request_id::prefix.size()), d.client_wants_usage});
  a.probe = std::make_unique<content_probe>(ctx.api, p.name);
  for (;;) {
    a.in->clear();
    const std::size_t before = a.held->size();
    auto [rf, n] = co_await call.read_some(*a.in);
    a.ended = rf == http::upstream_failure::none && n == 0 && call.body_done();
    a.reader->feed(*a.in, a.ended, *a.held, *a.scratch);
    if (a.reader->protocol_error() && rf == http::upstream_failure::none) rf = http::upstream_failure::protocol;
    a.failure = rf;
    a.probe->feed(std::string_view(*a.held).substr(before));
    if (rf == http::upstream_failure::cancelled) {
      a.result = outcome::cancelled;
      co_return;
    }
    // Content in hand: the client gets it, and a failure in the same read after it.
    if (a.probe->seen()) {
      a.result = outcome::content;
      co_return;
    }
    if (rf != http::upstream_failure::none) {
      a.cut_before_content = true;
      a.result = outcome::failed;
      co_return;
    }
    if (const auto& e = a.reader->failure()) {
      a.error = *e;
      a.status = e->status;
      a.result = outcome::vendor_error;
      co_return;
    }
    if (a.probe->error()) {
      a.error = *a.probe->error();
      a.status = a.probe->error_status();
      a.result = outcome::vendor_error;
      co_return;
    }
    if (a.ended || a.held->size() > running_attempt::k_max_held) {
      a.result = outcome::content;
      co_return;
    }
  }
}

asio::awaitable<void> gateway::race_first(request_context& ctx, const decoded_request& d, hedge_race& race) {
  co_await run_to_content(ctx, d, *race.first);
  race.first_done = true;
  race.timer.cancel();  // a hedge not started yet never starts
  if (race.first->result == outcome::content) race.content(*race.first, race.second);
}

asio::awaitable<void> gateway::race_hedge(request_context& ctx, const decoded_request& d, hedge_race& race) {
  auto [ec] = co_await race.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec || race.first_done || ctx.out.cancelled() != http::cancel_reason::none) co_return;
  if (!race.budget.take()) co_return;  // the group has hedged its share
  const auto pick = race.sequence.hedge_pick(race.first->route_index, std::chrono::steady_clock::now());
  if (!pick) co_return;
  race.second = std::make_unique<running_attempt>(buffers_, &budget_);
  running_attempt& h = *race.second;
  std::optional<gateway_error> refusal;
  if (co_await launch(ctx, d, race.route_, *pick, h, refusal) != launch_result::ready) {
    race.second.reset();  // this deployment cannot take it: no hedge
    co_return;
  }
  ctx.record.hedged = true;
  if (race.winner != nullptr || ctx.out.cancelled() != http::cancel_reason::none) {
    // The first won (or the client left) while this one took its quota.
    h.result = outcome::cancelled;
    co_return;
  }
  co_await run_to_content(ctx, d, h);
  if (h.result == outcome::content) race.content(h, race.first);
}

asio::awaitable<std::unique_ptr<running_attempt>> gateway::attempts(request_context& ctx, const decoded_request& d,
                                                                    const route& r) {
  using namespace asio::experimental::awaitable_operators;
  const group_policy* policy = r.policy;
  deployment_health& health = *state_->health;
  attempt_sequence sequence(r, state_->cfg.upstream.max_attempts, health, balancer_, std::chrono::steady_clock::now(),
                            rng_());
  hedge_budget* hedges = nullptr;
  if (policy != nullptr && policy->hedges()) {
    hedges = state_->hedge_budgets[r.policy_index].get();
    hedges->request();
  }

  std::optional<gateway_error> last_error;
  // An Anthropic error answered to an Anthropic client is relayed as it
  // came (its body moved here from its attempt), unless it refuses the
  // gateway's credentials.
  auto raw_error_body = buffers_.take();
  std::optional<int> raw_error_status;
  // On the heap, each made when its attempt starts: the second only for a
  // hedge, and the winner of a stream leaves this frame to be relayed.
  std::unique_ptr<running_attempt> first, second;

  // What one failed attempt means for the next: true to go on.
  const auto account_failure = [&](running_attempt& a) -> bool {
    const route_attempt& ra = r.attempts[a.route_index];
    const auto now = std::chrono::steady_clock::now();
    const http::upstream_call& call = *a.call;
    raw_error_status.reset();
    if (a.load) a.load->failed();
    if (a.result == outcome::failed) {
      const std::string_view why = a.cut_before_content ? "stream cut before content" : http::describe(a.failure);
      finish_attempt(ctx, a.record_index, a.cut_before_content ? call.status() : 0, why, call);
      last_error = upstream_failure_error(a.failure, ra.provider->name, state_->cfg);
      ctx.record.error = why;
      if (a.failure == http::upstream_failure::over_budget) return false;
      if (policy != nullptr) health.failed(a.deployment, policy->cooldown, now);
      // A stream that died before its content was relayed: nothing reached
      // the client, so it is failed over like a connect failure.
      const bool retryable = a.cut_before_content || http::is_retryable(a.failure, call.progress());
      return retryable && (policy == nullptr || policy->retry_on_connect);
    }
    // vendor_error: an HTTP error, or an error event before content.
    const int status = a.status;
    const bool in_stream = a.stream;
    finish_attempt(ctx, a.record_index, call.status(), in_stream ? "upstream error in stream" : "upstream error", call);
    last_error = std::move(a.error);
    ctx.record.error = in_stream ? "upstream error in stream" : "upstream error";
    if (!in_stream && a.plan.kind == wire::anthropic_passthrough && status != 401 && status != 403) {
      // Not a refusal of the gateway's own credentials: relayed raw, the
      // client would read "invalid x-api-key" as about its gateway key.
      raw_error_status = status;
      raw_error_body->swap(*a.error_body);
    }
    if (policy == nullptr) return retryable_status(status);
    if (vendor_trouble(status)) health.failed(a.deployment, policy->cooldown, now);
    // Not asked again before the vendor said (every request of the process).
    if (auto back = retry_after_seconds(last_error->retry_after); back && (status == 429 || status >= 500))
      health.retry_after(a.deployment, now + *back);
    if (status == 400 || status == 403) {
      // A refusal only another model can get past: its own fallbacks, if the group has them.
      if (context_window_error(*last_error) && sequence.switch_to(attempt_kind::context_window)) return true;
      if (content_policy_error(*last_error) && sequence.switch_to(attempt_kind::content_policy)) return true;
    }
    if (status == 401 || status == 403 || status == 404) {
      // This deployment refuses (its key, its model): never again for this
      // request, but another deployment may serve it.
      sequence.exclude(a.route_index);
      return true;
    }
    return policy->retries(status);
  };

  while (const auto step = sequence.next(std::chrono::steady_clock::now())) {
    if (step->wait.count() > 0 && !co_await pause(ctx, step->wait)) {
      // The client left (or shutdown came) while we waited to retry.
      if (ctx.out.cancelled() == http::cancel_reason::shutdown) {
        last_error = shutting_down();
        break;
      }
      ctx.client_gone();
      co_return nullptr;
    }
    second.reset();
    first = std::make_unique<running_attempt>(buffers_, &budget_);
    running_attempt& a = *first;
    const launch_result launched = co_await launch(ctx, d, r, step->index, a, last_error);
    if (launched == launch_result::skip) continue;
    if (launched == launch_result::stop) break;

    // A hedge may go out beside the request's first attempt.
    std::optional<std::chrono::milliseconds> delay;
    if (hedges != nullptr && sequence.made() == 1) delay = hedge_delay(*policy, balancer_, a.deployment);
    running_attempt* winner = nullptr;
    std::optional<asio::steady_timer> hedge_timer;
    // Until this attempt's answer has been relayed (a stream's is handed to
    // respond_stream, which watches for the client's hang-up itself).
    cancel_on_stop stop(ctx.out, first, second, hedge_timer);
    if (delay) {
      const auto executor = co_await asio::this_coro::executor;
      hedge_timer.emplace(executor, *delay);
      hedge_race race(r, sequence, *hedges, *hedge_timer, first, second);
      co_await (race_first(ctx, d, race) && race_hedge(ctx, d, race));
      winner = race.winner;
    } else {
      co_await run_to_content(ctx, d, a);
      if (a.result == outcome::content) winner = &a;
    }

    const bool leaving = ctx.out.cancelled() != http::cancel_reason::none;
    bool go_on = false;
    for (auto* x : {&first, &second}) {
      if (!*x || &**x == winner) continue;
      running_attempt& y = **x;
      if (y.result == outcome::cancelled) {
        health.abandoned(y.deployment);  // a probe it held goes to the next request
        const bool lost = winner != nullptr && !leaving;
        finish_attempt(ctx, y.record_index, y.status, lost ? usage::k_hedge_lost : http::describe(y.failure), *y.call);
        if (lost && y.reader && y.reader->usage()) {
          // What the loser cost, when its vendor said before it was cancelled.
          if (y.price) {
            ctx.record.hedge_loser_cost_usd = cost::compute_cost(*y.reader->usage(), *y.price).total();
          }
        }
        continue;
      }
      if (y.result == outcome::failed || y.result == outcome::vendor_error) go_on = account_failure(y) || go_on;
    }
    if (winner == nullptr && leaving) {
      if (ctx.out.cancelled() == http::cancel_reason::shutdown) {
        last_error = shutting_down();
        break;
      }
      ctx.client_gone();
      co_return nullptr;
    }
    if (winner == nullptr) {
      if (go_on) continue;
      break;
    }

    running_attempt& w = *winner;
    if (policy != nullptr) health.succeeded(w.deployment);
    ctx.price = w.price;  // a hedge that won was launched after the first
    enter(stage::respond, ctx);
    if (w.stream) {
      ctx.answered_by(w.record_index);
      w.drop_request();
      if (&w == first.get()) co_return std::move(first);
      co_return std::move(second);
    }
    bool retry = false;
    auto failure = co_await respond_json(ctx, d, w, retry);
    if (!failure) co_return nullptr;
    last_error = std::move(failure);
    if (!retry) break;
  }

  if (last_error) {
    // What a vendor said reaches the client without our credentials in any
    // field, and its retry-after only when it is one (a CR LF in it would
    // forge headers; a key in it would leak).
    scrub(*last_error);
    if (!is_retry_after(last_error->retry_after)) last_error->retry_after.clear();
  }
  if (raw_error_status) {
    // Anthropic's own error for an Anthropic client: status, body and
    // retry-after as sent (less our credentials).
    state_->scrubber.scrub(*raw_error_body);
    ctx.record.status = *raw_error_status;
    auto headers = ctx.headers();
    if (!last_error->retry_after.empty()) headers.add("retry-after", last_error->retry_after);
    co_await ctx.out.send(*raw_error_status, "application/json", *raw_error_body, headers);
    co_return nullptr;
  }
  // A named variable, not a ?: temporary across co_await: GCC 12 destroys such a temporary twice.
  if (!last_error) last_error = upstream_unavailable("No deployment could serve the request.");
  co_await respond_error(ctx, *last_error);
  co_return nullptr;
}

}  // namespace llmgw::api
