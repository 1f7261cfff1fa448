#include "mock/mock_vendor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <charconv>
#include <chrono>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "core/request_id.hpp"
#include "mock/buffer_pool.hpp"
#include "mock/dialect.hpp"
#include "mock/embeddings.hpp"
#include "mock/gemini_dialect.hpp"
#include "mock/openai_responses.hpp"
#include "mock/reply_text.hpp"
#include "mock/request_digest.hpp"
#include "mock/request_reader.hpp"
#include "mock/sigv4_check.hpp"
#include "mock/tool_calls.hpp"

namespace llmgw::mock {

namespace asio = boost::asio;

namespace {

constexpr std::string_view k_json = "application/json";

void append_lowercase(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

// {"name":"value",…} with lower-case names, repeated headers joined by ", ".
void append_headers_json(std::string& out, const std::vector<std::pair<std::string, std::string>>& headers,
                         std::size_t count) {
  out.push_back('{');
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out.push_back(',');
    append_json_string(out, headers[i].first);
    out.push_back(':');
    append_json_string(out, headers[i].second);
  }
  out.push_back('}');
}

std::vector<std::pair<std::string, std::string>> collect_headers(const http::request& req) {
  std::vector<std::pair<std::string, std::string>> headers;
  req.for_each_header([&](std::string_view name, std::string_view value) {
    std::string lower;
    append_lowercase(lower, name);
    for (auto& h : headers) {
      if (h.first == lower) {
        h.second.append(", ");
        h.second.append(value);
        return;
      }
    }
    headers.emplace_back(std::move(lower), std::string(value));
  });
  return headers;
}

// The credential a request carries, whichever vendor's header holds it
// (Bedrock's is a signature; its session token is the secret that travels).
std::string_view credential_of(const http::request& req) {
  if (auto auth = req.header("authorization"); auth.starts_with("Bearer ")) return auth.substr(7);
  for (std::string_view name : {"x-api-key", "api-key", "x-goog-api-key", "x-amz-security-token"}) {
    if (auto v = req.header(name); !v.empty()) return v;
  }
  return {};
}

void apply_mock_headers(const http::request& req, mock_script& script) {
  req.for_each_header([&](std::string_view name, std::string_view value) {
    if (is_mock_header(name)) apply_header(name, value, script);
  });
}

// Sleeps for `d` unless the client goes away first; true when it went away.
// The server's own client watch (on_cancel) cuts the sleep short: a paced
// stream pauses between every two tokens, and racing each pause against a
// second coroutine waiting on the socket cost the load core more than the
// tokens themselves (8,000 paced streams are 80,000 pauses a second).
asio::awaitable<bool> pause(http::response_writer& out, std::chrono::microseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  bool gone = false;
  out.on_cancel([&gone, &timer](http::cancel_reason) {
    gone = true;
    timer.cancel();
  });
  // (Gone already: on_cancel told the listener at once, before any wait to cut short.)
  if (!gone) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  out.clear_cancel();
  co_return gone;
}

asio::awaitable<void> send_error(http::response_writer& out, const mock_error& e, std::string_view rid) {
  if (e.rate_limited) {
    // OpenAI's rate-limit headers, with a short retry-after so clients that
    // honour it (the SDKs, the gateway) do not stall tests.
    std::string_view retry_after = "1";
    for (const auto& [name, value] : e.headers) {
      if (name == "retry-after") retry_after = value;  // a script's own
    }
    const std::array<http::header_field, 8> headers{{
        {"x-request-id", rid},
        {"retry-after", retry_after},
        {"x-ratelimit-limit-requests", "500"},
        {"x-ratelimit-remaining-requests", "0"},
        {"x-ratelimit-reset-requests", "1s"},
        {"x-ratelimit-limit-tokens", "200000"},
        {"x-ratelimit-remaining-tokens", "199000"},
        {"x-ratelimit-reset-tokens", "300ms"},
    }};
    co_await out.send(e.status, k_json, e.body, headers);
    co_return;
  }
  // Other vendors' own headers (retry-after, x-amzn-errortype, request-id …).
  std::vector<http::header_field> headers{{"x-request-id", rid}};
  for (const auto& [name, value] : e.headers) {
    if (const auto checked = http::header_name::checked(name)) headers.push_back({*checked, value});
  }
  co_await out.send(e.status, e.content_type, e.body, headers);
}

}  // namespace

// ---------------------------------------------------------------- state

std::string_view mock_options::key_for(const dialect& d) const {
  const std::string* own = nullptr;
  if (&d == &anthropic_dialect()) {
    own = &anthropic_api_key;
  } else if (&d == &gemini_dialect()) {
    own = &gemini_api_key;
  } else if (&d == &bedrock_dialect()) {
    own = &aws_access_key_id;
  }
  return own && !own->empty() ? *own : api_key;
}

struct mock_vendor::counters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> cancelled{0};
  std::atomic<std::uint64_t> slow_answers{0};
  // Requests that carried a slow tail so far: picks the slow turns.
  std::atomic<std::uint64_t> slow_tail_turns{0};
  std::atomic<std::uint64_t> chat_completions{0};
  std::atomic<std::uint64_t> embeddings{0};
  std::atomic<std::uint64_t> streams_started{0};
  std::atomic<std::uint64_t> streams_completed{0};
  std::atomic<std::uint64_t> streams_aborted{0};
  std::atomic<std::uint64_t> streams_reset{0};
  std::atomic<std::int64_t> active_streams{0};
  std::atomic<std::int64_t> active_hangs{0};
};

struct mock_vendor::recorded_request {
  bool present = false;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // the first header_count are current
  std::size_t header_count = 0;
  std::string body;
};

// Everything a stream needs, decided before the first byte is written.
struct mock_vendor::stream_plan {
  completion_meta meta;
  bool include_usage = false;
  std::string text;               // reply content (when not a tool call)
  std::optional<tool_call> call;  // a tool call instead of text
  std::string_view finish_reason;
  usage_counts usage;
  std::string_view rid;
  const dialect* d = nullptr;

  reply as_reply() const { return reply{meta, text, call ? &*call : nullptr, finish_reason, usage, include_usage}; }
};

mock_vendor::mock_vendor(mock_options options)
    : options_(std::move(options)),
      defaults_(options_.defaults),
      counters_(std::make_unique<counters>()),
      last_(std::make_unique<recorded_request>()) {}

mock_vendor::~mock_vendor() = default;

mock_script mock_vendor::defaults() const {
  std::lock_guard lock(defaults_mutex_);
  return defaults_;
}

http::handler mock_vendor::handler() {
  // A plain lambda returning the member coroutine: the coroutine's frame
  // holds `this` as a parameter, not as a capture that could die first.
  return [self = weak_from_this().lock(), this](http::request& req, http::response_writer& out) {
    return handle(req, out);
  };
}

std::string mock_vendor::render_protocol_error(const http::protocol_error& e) {
  return render_error(e.message, "invalid_request_error", {}, {});
}

std::unique_ptr<http::server> mock_vendor::serve_on(asio::io_context& ioc, std::uint16_t& bound_port) {
  http::server_options so;
  so.host = options_.host;
  so.port = options_.port;
  auto srv = std::make_unique<http::server>(ioc, so, handler(), &mock_vendor::render_protocol_error);
  bound_port = srv->listen();
  srv->start();
  return srv;
}

mock_stats mock_vendor::stats() const {
  const auto& c = *counters_;
  mock_stats s;
  s.requests = c.requests.load(std::memory_order_relaxed);
  s.cancelled = c.cancelled.load(std::memory_order_relaxed);
  s.slow_answers = c.slow_answers.load(std::memory_order_relaxed);
  s.chat_completions = c.chat_completions.load(std::memory_order_relaxed);
  s.embeddings = c.embeddings.load(std::memory_order_relaxed);
  s.streams_started = c.streams_started.load(std::memory_order_relaxed);
  s.streams_completed = c.streams_completed.load(std::memory_order_relaxed);
  s.streams_aborted = c.streams_aborted.load(std::memory_order_relaxed);
  s.streams_reset = c.streams_reset.load(std::memory_order_relaxed);
  s.active_streams = c.active_streams.load(std::memory_order_relaxed);
  s.active_hangs = c.active_hangs.load(std::memory_order_relaxed);
  return s;
}

void mock_vendor::reset_stats() {
  auto& c = *counters_;
  // Gauges (active_*) describe what is running now and are left alone.
  // The slow tail starts over, so a run after a reset sees the same turns.
  for (auto* counter : {&c.requests, &c.cancelled, &c.slow_answers, &c.slow_tail_turns, &c.chat_completions,
                        &c.embeddings, &c.streams_started, &c.streams_completed, &c.streams_aborted, &c.streams_reset})
    counter->store(0, std::memory_order_relaxed);
  std::lock_guard lock(last_mutex_);
  last_->present = false;
}

void mock_vendor::record(const http::request& req) {
  // Copies into the previous request's strings: after warm-up recording
  // allocates nothing, which matters when the mock is a benchmark upstream.
  std::lock_guard lock(last_mutex_);
  auto& last = *last_;
  last.present = true;
  last.method.assign(req.method());
  last.target.assign(req.target());
  last.header_count = 0;
  req.for_each_header([&](std::string_view name, std::string_view value) {
    auto& headers = last.headers;
    if (last.header_count == headers.size()) headers.emplace_back();
    auto& slot = headers[last.header_count];
    slot.first.clear();
    append_lowercase(slot.first, name);
    for (std::size_t i = 0; i < last.header_count; ++i) {
      if (headers[i].first == slot.first) {  // repeated header: join, as HTTP allows
        headers[i].second.append(", ");
        headers[i].second.append(value);
        return;
      }
    }
    slot.second.assign(value);
    ++last.header_count;
  });
  last.body.assign(req.body());
}

// ---------------------------------------------------------------- dispatch

asio::awaitable<void> mock_vendor::handle(http::request& req, http::response_writer& out) {
  // A vendor reads the whole request before it answers.
  if (!co_await req.read_body()) co_return;
  const std::string_view path = req.path();
  if (path.starts_with("/_mock/")) {
    co_await handle_admin(req, out);
    co_return;
  }
  if (path == "/health" || path == "/healthz") {
    co_await out.send(200, k_json, R"({"status":"ok"})");
    co_return;
  }
  counters_->requests.fetch_add(1, std::memory_order_relaxed);
  if (options_.record_last_request) record(req);

  co_await handle_api(req, out, route_of(req.method(), path));
}

mock_vendor::api_route mock_vendor::route_of(std::string_view method, std::string_view path) {
  api_route r;
  const bool post = method == "POST";
  // Anthropic: POST /v1/messages (and /v1/messages/count_tokens).
  if (post && path == "/v1/messages") {
    r.d = &anthropic_dialect();
    r.ep = api_endpoint::chat;
    return r;
  }
  if (post && path == "/v1/messages/count_tokens") {
    r.d = &anthropic_dialect();
    r.ep = api_endpoint::count_tokens;
    return r;
  }
  // Gemini: POST /v1beta/models/<model>:<method> (also /v1/…).
  for (std::string_view prefix : {std::string_view("/v1beta/models/"), std::string_view("/v1/models/")}) {
    if (!post || !path.starts_with(prefix)) continue;
    std::string_view rest = path.substr(prefix.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) break;
    r.d = &gemini_dialect();
    r.path_model = rest.substr(0, colon);
    const std::string_view verb = rest.substr(colon + 1);
    if (verb == "generateContent") {
      r.ep = api_endpoint::chat;
    } else if (verb == "streamGenerateContent") {
      r.ep = api_endpoint::chat;
      r.path_stream = true;
    } else if (verb == "batchEmbedContents") {
      r.ep = api_endpoint::batch_embed;
    }
    return r;
  }
  // Bedrock: POST /model/<modelId>/converse or /converse-stream.
  if (post && path.starts_with("/model/")) {
    std::string_view rest = path.substr(7);
    const auto slash = rest.rfind('/');
    if (slash == std::string_view::npos) return r;
    r.d = &bedrock_dialect();
    r.path_model = rest.substr(0, slash);
    const std::string_view verb = rest.substr(slash + 1);
    if (verb == "converse") {
      r.ep = api_endpoint::chat;
    } else if (verb == "converse-stream") {
      r.ep = api_endpoint::chat;
      r.path_stream = true;
    }
    return r;
  }
  // OpenAI: clients are configured with and without /v1; Azure puts the
  // model (deployment) in the path: /openai/deployments/<name>/chat/completions.
  std::string_view route = path;
  if (route.starts_with("/v1/")) {
    route.remove_prefix(3);
  } else if (route.starts_with("/openai/deployments/")) {
    route.remove_prefix(std::string_view("/openai/deployments/").size());
    const auto slash = route.find('/');
    if (slash != std::string_view::npos) {
      r.path_model = route.substr(0, slash);
      route.remove_prefix(slash);
    }
  }
  if (post && route == "/chat/completions") {
    r.ep = api_endpoint::chat;
  } else if (post && route == "/embeddings") {
    r.ep = api_endpoint::embeddings;
  } else if (method == "GET" && route == "/models") {
    r.ep = api_endpoint::models;
  } else if (method == "GET" && route.starts_with("/models/") && route.size() > 8) {
    r.ep = api_endpoint::model;
    r.path_model = route.substr(8);
  }
  return r;
}

asio::awaitable<void> mock_vendor::handle_api(http::request& req, http::response_writer& out, api_route route) {
  const auto id = request_id::generate();
  const std::string_view method = req.method();
  const dialect& d = *route.d;
  if (route.ep == api_endpoint::none) {
    co_await send_error(out, d.unknown_endpoint(method, req.path()), id.view());
    co_return;
  }
  const std::string_view target = req.target();
  const auto q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (auto denied =
          d.check_auth([&req](std::string_view name) { return req.header(name); }, query, options_.key_for(d))) {
    co_await send_error(out, *denied, id.view());
    co_return;
  }
  if (&d == &bedrock_dialect() && !options_.aws_secret_access_key.empty()) {
    sigv4_request signed_request{req.method(), target, {}, req.body()};
    req.for_each_header(
        [&](std::string_view name, std::string_view value) { signed_request.headers.emplace_back(name, value); });
    if (auto denied = verify_sigv4(signed_request,
                                   {options_.aws_secret_access_key, "bedrock", std::chrono::system_clock::now()})) {
      co_await send_error(out, *denied, id.view());
      co_return;
    }
  }

  mock_script script = defaults();
  apply_mock_headers(req, script);

  switch (route.ep) {
    case api_endpoint::chat:
      co_await chat_completions(req, out, std::move(script), route, id.view());
      break;
    case api_endpoint::embeddings:
      co_await embeddings(req, out, std::move(script), route.path_model, id.view());
      break;
    case api_endpoint::batch_embed:
      co_await gemini_embeddings(req, out, std::move(script), route.path_model, id.view());
      break;
    case api_endpoint::count_tokens: {
      if (co_await run_prelude(out, script, {}, d, req)) co_return;
      // Anthropic's answer: {"input_tokens": N}, here estimated from the body size.
      std::string body = "{\"input_tokens\":";
      append_number(body, std::max<std::uint64_t>(1, req.body().size() / 4));
      body.push_back('}');
      const std::array<http::header_field, 1> headers{{{"request-id", id.view()}}};
      co_await out.send(200, k_json, body, headers);
      break;
    }
    case api_endpoint::models: {
      if (co_await run_prelude(out, script, {}, d, req)) co_return;
      auto buf = buffer_pool::take();
      append_models_list(*buf);
      const std::array<http::header_field, 1> headers{{{"x-request-id", id.view()}}};
      co_await out.send(200, k_json, *buf, headers);
      break;
    }
    case api_endpoint::model: {
      if (co_await run_prelude(out, script, {}, d, req)) co_return;
      const std::string_view model_id = route.path_model;
      auto buf = buffer_pool::take();
      // Any id is served (chat accepts any model too); known ones keep their dates.
      std::int64_t created = 1700000000;
      std::string_view owned_by = "mock";
      for (const auto& m : known_models()) {
        if (m.id == model_id) {
          created = m.created;
          owned_by = m.owned_by;
        }
      }
      append_model(*buf, model_id, created, owned_by);
      const std::array<http::header_field, 1> headers{{{"x-request-id", id.view()}}};
      co_await out.send(200, k_json, *buf, headers);
      break;
    }
    case api_endpoint::none:
      break;
  }
}

asio::awaitable<void> mock_vendor::handle_admin(http::request& req, http::response_writer& out) {
  const std::string_view path = req.path();
  const std::string_view method = req.method();
  if (path == "/_mock/stats" && method == "GET") {
    const auto s = stats();
    std::string body = "{\"requests\":";
    append_number(body, s.requests);
    body.append(",\"cancelled\":");
    append_number(body, s.cancelled);
    body.append(",\"slow_answers\":");
    append_number(body, s.slow_answers);
    body.append(",\"chat_completions\":");
    append_number(body, s.chat_completions);
    body.append(",\"embeddings\":");
    append_number(body, s.embeddings);
    body.append(",\"streams_started\":");
    append_number(body, s.streams_started);
    body.append(",\"streams_completed\":");
    append_number(body, s.streams_completed);
    body.append(",\"streams_aborted\":");
    append_number(body, s.streams_aborted);
    body.append(",\"streams_reset\":");
    append_number(body, s.streams_reset);
    body.append(",\"active_streams\":");
    append_number(body, s.active_streams);
    body.append(",\"active_hangs\":");
    append_number(body, s.active_hangs);
    body.push_back('}');
    co_await out.send(200, k_json, body);
    co_return;
  }
  if (path == "/_mock/last_request" && method == "GET") {
    std::string body;
    {
      std::lock_guard lock(last_mutex_);
      if (last_->present) {
        body.append("{\"method\":");
        append_json_string(body, last_->method);
        body.append(",\"target\":");
        append_json_string(body, last_->target);
        body.append(",\"headers\":");
        append_headers_json(body, last_->headers, last_->header_count);
        body.append(",\"body\":");
        append_json_string(body, last_->body);
        body.push_back('}');
      }
    }
    if (body.empty()) {
      co_await out.send(404, k_json,
                        render_error("No API request has been received yet.", "invalid_request_error", {}, {}));
    } else {
      co_await out.send(200, k_json, body);
    }
    co_return;
  }
  if (path == "/_mock/script" && method == "POST") {
    // The default behaviour from now on, as markers: "status=529,retry_after=2";
    // an empty body goes back to --script's. For tests of a vendor that
    // changes its mind (slows down, recovers) under a running gateway.
    mock_script s = options_.defaults;
    const std::string text = "[mock:" + req.body() + "]";
    if (!req.body().empty() && apply_markers(text, s) == 0) {
      co_await out.send(400, k_json,
                        render_error("No setting understood in the body.", "invalid_request_error", {}, {}));
      co_return;
    }
    {
      std::lock_guard lock(defaults_mutex_);
      defaults_ = s;
    }
    co_await out.send(200, k_json, R"({"status":"ok"})");
    co_return;
  }
  if (path == "/_mock/reset" && method == "POST") {
    reset_stats();
    co_await out.send(200, k_json, R"({"status":"ok"})");
    co_return;
  }
  co_await out.send(404, k_json, invalid_url_error(method, path).body);
}

// ---------------------------------------------------------------- behaviours

asio::awaitable<void> mock_vendor::hang(http::response_writer& out) {
  counters_->active_hangs.fetch_add(1, std::memory_order_relaxed);
  co_await out.wait_client_gone();
  counters_->active_hangs.fetch_sub(1, std::memory_order_relaxed);
  out.abort();
}

void mock_vendor::count_cancelled() { counters_->cancelled.fetch_add(1, std::memory_order_relaxed); }

asio::awaitable<bool> mock_vendor::run_prelude(http::response_writer& out, const mock_script& script,
                                               std::string_view model, const dialect& d, const http::request& req) {
  std::uint32_t delay_ms = script.latency_ms;
  if (script.slow_ratio > 0) {
    const auto turn = counters_->slow_tail_turns.fetch_add(1, std::memory_order_relaxed);
    if (is_slow_turn(turn, script.slow_ratio)) {
      delay_ms = script.slow_ms;
      counters_->slow_answers.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // Nested ifs, not `&& co_await`: GCC 12 miscompiles co_await inside &&.
  if (delay_ms > 0) {
    const bool client_left = co_await pause(out, std::chrono::milliseconds(delay_ms));
    if (client_left) {
      count_cancelled();
      out.abort();
      co_return true;
    }
  }
  if (script.hang) {
    co_await hang(out);
    count_cancelled();
    co_return true;
  }
  if (script.status != 0 && (script.status < 200 || script.status >= 300)) {
    const auto id = request_id::generate();
    mock_error e = d.scripted_error(script.status, model);
    if (script.retry_after) {
      std::erase_if(e.headers, [](const auto& h) { return h.first == "retry-after"; });
      e.headers.emplace_back("retry-after", std::to_string(*script.retry_after));
    }
    if (script.leak) e = with_leaked_credential(std::move(e), credential_of(req));
    co_await send_error(out, e, id.view());
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> mock_vendor::chat_completions(http::request& req, http::response_writer& out, mock_script script,
                                                    const api_route& route, std::string_view rid) {
  counters_->chat_completions.fetch_add(1, std::memory_order_relaxed);
  const dialect& d = *route.d;
  chat_request_info info;
  if (auto e = d.read_chat(req.body(), route.path_model, route.path_stream, info)) {
    co_await send_error(out, *e, rid);
    co_return;
  }
  // Markers are looked for only in the last user message, and parsed only
  // when one is there: the common request pays for one substring search.
  if (info.last_user_content.find("[mock:") != std::string_view::npos) apply_markers(info.last_user_content, script);

  if (co_await run_prelude(out, script, info.model, d, req)) co_return;

  stream_plan plan;
  plan.d = &d;
  plan.meta = new_completion_meta(info.model);
  plan.include_usage = info.stream && info.include_usage;
  plan.rid = rid;
  plan.usage.prompt = script.prompt_tokens.value_or(std::max<std::uint64_t>(1, req.body().size() / 4));
  plan.usage.cached = std::min<std::uint64_t>(script.cached_tokens, plan.usage.prompt);
  plan.usage.cache_write = std::min<std::uint64_t>(script.cache_write_tokens, plan.usage.prompt - plan.usage.cached);

  // A tool call when the request offers tools and asks for one: a forced
  // tool_choice, "required", or the marker — the marker only while the last
  // message is the user's, so an agent loop gets a text answer after
  // sending the tool result back.
  const bool want_tool =
      info.has_tools && !info.tool_choice_none &&
      (!info.forced_tool.empty() || info.tool_choice_required || (script.tool && info.last_message_is_user));
  if (want_tool) {
    plan.call = d.make_tool_call(req.body(), info.forced_tool.empty() ? script.tool_name : info.forced_tool);
  }
  if (plan.call) {
    plan.finish_reason = "tool_calls";
    std::uint64_t fragments = 0;
    for (std::size_t pos = 0; pos < plan.call->arguments.size();
         pos = next_argument_fragment_end(plan.call->arguments, pos))
      ++fragments;
    plan.usage.completion = fragments + 1;
  } else {
    if (script.digest) {
      plan.text = request_digest(d.name(), req.body());
    } else if (script.echo) {
      const auto headers = collect_headers(req);
      append_headers_json(plan.text, headers, headers.size());
    } else if (script.leak) {
      plan.text = "The key you sent is ";
      plan.text.append(credential_of(req));
      plan.text.push_back('.');
    } else {
      append_reply_text(plan.text, info.model, script.tokens);
      // Images are acknowledged (not with a tokens marker: that fixes the length).
      if (!script.tokens) {
        if (const std::size_t images = d.count_images(req.body()); images > 0) {
          plan.text.append(" I see ");
          plan.text.append(std::to_string(images));
          plan.text.append(images == 1 ? " image." : " images.");
        }
      }
    }
    plan.finish_reason = "stop";
    std::size_t tokens = count_tokens(plan.text);
    // A digest is a receipt, not an answer: cutting it would garble it.
    if (info.max_tokens && *info.max_tokens < tokens && !script.digest) {
      plan.text.resize(prefix_of_tokens(plan.text, *info.max_tokens));
      tokens = *info.max_tokens;
      plan.finish_reason = "length";
    }
    plan.usage.completion = tokens;
  }

  if (info.stream) {
    auto& c = *counters_;
    c.streams_started.fetch_add(1, std::memory_order_relaxed);
    c.active_streams.fetch_add(1, std::memory_order_relaxed);
    const stream_end end = co_await stream_chat(out, plan, script);
    c.active_streams.fetch_sub(1, std::memory_order_relaxed);
    switch (end) {
      case stream_end::completed:
        c.streams_completed.fetch_add(1, std::memory_order_relaxed);
        break;
      case stream_end::aborted:
        c.streams_aborted.fetch_add(1, std::memory_order_relaxed);
        count_cancelled();
        break;
      case stream_end::reset:
        c.streams_reset.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    co_return;
  }

  // Non-stream: a reset is a connection dropped before any answer, a
  // hang_after a request that is never answered.
  if (script.reset_after) {
    out.abort();
    co_return;
  }
  if (script.hang_after) {
    co_await hang(out);
    count_cancelled();
    co_return;
  }
  auto buf = buffer_pool::take();
  d.render_reply(*buf, plan.as_reply());
  const std::array<http::header_field, 1> headers{{{"x-request-id", rid}}};
  if (!co_await out.send(200, d.content_type(), *buf, headers)) count_cancelled();
}

asio::awaitable<mock_vendor::stream_end> mock_vendor::stream_chat(http::response_writer& out, const stream_plan& plan,
                                                                  const mock_script& script) {
  const std::array<http::header_field, 1> headers{{{"x-request-id", plan.rid}}};
  const dialect& d = *plan.d;
  if (!co_await out.begin_stream(200, d.stream_content_type(), headers)) co_return stream_end::aborted;

  const auto writer = d.stream(plan.as_reply());
  std::string event;
  event.reserve(512);

  writer->begin(event);
  if (!co_await out.write_chunk(event)) co_return stream_end::aborted;

  // Content chunks: one token (or one argument fragment) each.
  const std::string_view body = plan.call ? std::string_view(plan.call->arguments) : std::string_view(plan.text);
  const auto interval = script.tps > 0 ? std::chrono::microseconds(static_cast<std::int64_t>(1e6 / script.tps))
                                       : std::chrono::microseconds(0);
  std::uint32_t sent = 0;
  std::size_t pos = 0;
  for (;;) {
    const bool more = pos < body.size();
    // reset_after / hang_after fire after N content chunks, or after the
    // last one when the reply is shorter: the stream is always cut.
    if (script.reset_after && (sent == *script.reset_after || !more)) {
      out.abort();
      co_return stream_end::reset;
    }
    if (script.error_after && (sent == *script.error_after || !more)) {
      event.clear();
      d.stream_error(event);
      if (!co_await out.write_chunk(event)) co_return stream_end::aborted;
      co_await out.end_stream();
      co_return stream_end::reset;
    }
    if (script.hang_after && (sent == *script.hang_after || !more)) {
      co_await hang(out);
      co_return stream_end::aborted;
    }
    if (!more) break;
    if (sent > 0 && interval.count() > 0) {
      const bool client_left = co_await pause(out, interval);
      if (client_left) {
        out.abort();
        co_return stream_end::aborted;
      }
    }
    const std::size_t end = plan.call ? next_argument_fragment_end(body, pos) : next_token_end(body, pos);
    event.clear();
    writer->piece(event, body.substr(pos, end - pos));
    if (!co_await out.write_chunk(event)) co_return stream_end::aborted;
    pos = end;
    ++sent;
  }

  event.clear();
  writer->end(event);
  if (!co_await out.write_chunk(event)) co_return stream_end::aborted;
  if (!co_await out.end_stream()) co_return stream_end::aborted;
  co_return stream_end::completed;
}

asio::awaitable<void> mock_vendor::embeddings(http::request& req, http::response_writer& out, mock_script script,
                                              std::string_view deployment, std::string_view rid) {
  counters_->embeddings.fetch_add(1, std::memory_order_relaxed);
  embeddings_request_info info;
  if (auto e = read_embeddings_request(req.body(), info, deployment)) {
    co_await send_error(out, *e, rid);
    co_return;
  }
  // Inputs are the text here: markers anywhere in them count.
  for (auto input : info.inputs) {
    if (input.find("[mock:") != std::string_view::npos) apply_markers(input, script);
  }
  if (co_await run_prelude(out, script, info.model, openai_dialect(), req)) co_return;
  if (info.dimensions && (*info.dimensions == 0 || *info.dimensions > 8192)) {
    co_await send_error(out,
                        mock_error{400, render_error("Invalid value for 'dimensions': must be between 1 and 8192.",
                                                     "invalid_request_error", "dimensions", "invalid_value")},
                        rid);
    co_return;
  }
  auto buf = buffer_pool::take();
  append_embeddings_response(*buf, info);
  const std::array<http::header_field, 1> headers{{{"x-request-id", rid}}};
  co_await out.send(200, k_json, *buf, headers);
}

asio::awaitable<void> mock_vendor::gemini_embeddings(http::request& req, http::response_writer& out, mock_script script,
                                                     std::string_view model, std::string_view rid) {
  counters_->embeddings.fetch_add(1, std::memory_order_relaxed);
  apply_markers(req.body(), script);
  if (co_await run_prelude(out, script, model, gemini_dialect(), req)) co_return;
  auto buf = buffer_pool::take();
  if (auto e = gemini_batch_embed(req.body(), model, *buf)) {
    co_await send_error(out, *e, rid);
    co_return;
  }
  const std::array<http::header_field, 1> headers{{{"x-request-id", rid}}};
  co_await out.send(200, k_json, *buf, headers);
}

// ---------------------------------------------------------------- thread

mock_vendor_thread::mock_vendor_thread(mock_options options)
    : vendor_(std::make_shared<mock_vendor>(std::move(options))) {
  http::server_options so;
  so.host = vendor_->options().host;
  so.port = vendor_->options().port;
  pool_.start(so, [this](asio::io_context&, memory_budget&) {
    return http::worker_handlers{vendor_->handler(), &mock_vendor::render_protocol_error, {}};
  });
}

mock_vendor_thread::~mock_vendor_thread() { pool_.stop(std::chrono::milliseconds(0)); }

std::string mock_vendor_thread::base_url() const {
  const auto& host = vendor_->options().host;
  std::string url = "http://";
  url.append(host == "0.0.0.0" ? std::string("127.0.0.1") : host);
  url.push_back(':');
  url.append(std::to_string(port()));
  url.append("/v1");
  return url;
}

}  // namespace llmgw::mock
