// Dispatch, authentication and the small endpoints. The proxying of chat
// completions and embeddings lives in proxy.cpp.
#include "api/gateway.hpp"

#include <array>

#include "api/access_log.hpp"
#include "api/chat_request.hpp"
#include "api/client_api.hpp"
#include "api/embeddings_request.hpp"
#include "api/models.hpp"
#include "api/request_scope.hpp"
#include "core/json_escape.hpp"
#include "providers/anthropic_inbound.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

secret_scrubber vendor_secrets(const config& cfg) {
  std::vector<std::string_view> secrets;
  for (const auto& p : cfg.providers) {
    for (const std::string* s : {&p.api_key, &p.aws_secret_access_key, &p.aws_session_token}) {
      if (!s->empty()) secrets.push_back(*s);
    }
  }
  return secret_scrubber(secrets);
}

}  // namespace

gateway_state::gateway_state(config c, bool demo)
    : cfg(std::move(c)), routes(cfg), keys(cfg), scrubber(vendor_secrets(cfg)), demo_mode(demo) {
  for (const auto& p : routes.providers()) ready = ready || p.enabled;
}

gateway::gateway(asio::io_context& ioc, std::shared_ptr<const gateway_state> state, memory_budget& budget,
                 usage::record_queue* records)
    : state_(std::move(state)), budget_(budget), records_(records), pool_(ioc), rng_(std::random_device{}()) {}

std::string gateway::render_protocol_error(const http::protocol_error& p) {
  gateway_error e;
  e.status = p.status;
  e.type = p.status >= 500 ? "server_error" : "invalid_request_error";
  e.message = std::string(p.message);
  std::string body;
  render_error(client_api_for_path(p.path), e, body);
  return body;
}

const http::origin& gateway::origin_for(const provider_config& p) {
  auto it = origins_.find(&p);
  if (it == origins_.end()) it = origins_.emplace(&p, http::origin::make(p.host, p.port, p.tls)).first;
  return it->second;
}

asio::awaitable<void> gateway::send_error(request_scope& rs, const gateway_error& e) {
  auto body = buffers_.take();
  const int status = render_error(rs.api, e, *body);
  rs.record.status = status;
  if (rs.record.error.empty()) {
    // Copied: `e` may live in a stage's frame that ends before the log is written.
    rs.error_code = e.code.empty() ? e.type : e.code;
    rs.record.error = rs.error_code;
  }
  std::array<http::header_field, 4> extra;
  std::size_t n = rs.base_headers(extra);
  if (!e.retry_after.empty()) extra[n++] = {"retry-after", e.retry_after};
  co_await rs.out.send(status, "application/json", *body, {extra.data(), n});
}

namespace {

// "/v1/chat/completions" and "/chat/completions" name the same endpoint:
// clients are configured both ways.
std::string_view strip_v1(std::string_view path) {
  if (path.starts_with("/v1/")) return path.substr(3);
  if (path == "/v1") return "/";
  return path;
}

// 401, telling a missing key from a wrong one in the words of the client's
// API: OpenAI's SDKs send a bearer token, Anthropic's send x-api-key.
gateway_error key_refused(request_scope::client_api api, bool key_sent) {
  gateway_error e = key_sent ? invalid_api_key() : missing_api_key();
  if (api == request_scope::client_api::anthropic) {
    e.message = key_sent ? "invalid x-api-key: the gateway key sent is not one this gateway knows."
                         : "x-api-key header is required: send your gateway key in it "
                           "(an Authorization: Bearer header is accepted too).";
  }
  return e;
}

}  // namespace

asio::awaitable<void> gateway::handle(http::request& req, http::response_writer& out) {
  request_scope rs(req, out, records_);
  auto path = strip_v1(req.path());
  auto method = req.method();
  rs.record.method = method;
  rs.record.path = req.path();

  if (path == "/health" || path == "/health/ready" || path == "/health/live") {
    // Readiness: the configuration is loaded and workers are serving. A
    // gateway with no routable vendor is alive but not ready.
    bool ready = path != "/health/ready" || state_->ready;
    std::array<http::header_field, 1> extra{{{"x-request-id", rs.id.view()}}};
    const int status = ready ? 200 : 503;
    const std::string_view body = ready ? R"({"status":"ok"})" : R"({"status":"no provider"})";
    co_await out.send(status, "application/json", body, extra);
    co_return;  // health checks are not access-logged: load balancers poll them
  }

  // Anthropic's SDK and tools call /v1/messages; answer them in their format
  // from the first error on.
  rs.api = client_api_for_path(req.path());
  const bool messages = rs.api == client_api::anthropic;
  rs.count_tokens = path == "/messages/count_tokens";
  const bool models = path == "/models" || path.starts_with("/models/");
  bool known = messages || models || path == "/chat/completions" || path == "/embeddings";
  if (!known) {
    co_await send_error(rs, not_found_route(method, req.path()));
    rs.finish();
    co_return;
  }
  // HEAD is GET without the body (the server leaves it out).
  bool is_get = models;
  if ((is_get && method != "GET" && method != "HEAD") || (!is_get && method != "POST")) {
    co_await send_error(rs, method_not_allowed(method, req.path()));
    rs.finish();
    co_return;
  }

  auto presented = presented_key(req.header("authorization"), req.header("x-api-key"));
  auto principal = presented ? state_->keys.lookup(*presented) : std::nullopt;
  if (!principal) {
    co_await send_error(rs, key_refused(rs.api, presented.has_value()));
    rs.finish();
    co_return;
  }
  rs.key_name = principal->name;
  rs.record.key_name = rs.key_name;

  // Only now, with the key accepted, is the body read (and a client waiting
  // for "100 Continue" told to send it): an unauthenticated client cannot
  // make the gateway buffer anything.
  if (!co_await req.read_body()) {
    rs.record.status = out.started() ? out.status() : 499;
    rs.finish();
    co_return;
  }

  if (path == "/chat/completions") {
    co_await handle_chat(rs);
  } else if (path == "/embeddings") {
    co_await handle_embeddings(rs);
  } else if (messages) {
    co_await handle_messages(rs);
  } else {
    co_await handle_models(rs);
  }
  rs.finish();
}

asio::awaitable<void> gateway::handle_models(request_scope& rs) {
  const auto& listed = state_->routes.list_models();
  auto body = buffers_.take();
  auto& b = *body;
  const std::string_view path = strip_v1(rs.req.path());
  if (path == "/models") {
    append_model_list(b, listed);
  } else {
    // GET /models/{id} (the SDKs' models.retrieve): any model the list shows.
    const std::string_view rest = path.substr(std::string_view("/models/").size());
    const auto id = model_id_from_path(rest);
    const model_info* m = id ? find_model(listed, *id) : nullptr;
    if (m == nullptr) {
      co_await send_error(rs, model_not_found(id ? std::string_view(*id) : rest));
      co_return;
    }
    rs.model = m->id;
    rs.record.model = rs.model;
    append_model(b, *m);
  }
  rs.record.status = 200;
  std::array<http::header_field, 3> extra;
  std::size_t n = rs.base_headers(extra);
  co_await rs.out.send(200, "application/json", b, {extra.data(), n});
}

asio::awaitable<void> gateway::handle_chat(request_scope& rs) {
  auto& body = rs.req.body();
  auto parsed = parse_chat_request(body);
  if (!parsed) {
    co_await send_error(rs, parsed.error());
    co_return;
  }
  const chat_request_info& info = *parsed;
  rs.model.assign(info.model.name());
  rs.record.model = rs.model;
  rs.record.stream = info.stream;
  rs.chat_info = &info;

  auto routed = state_->routes.resolve(info.model.name(), rng_());
  if (!routed) {
    co_await send_error(rs, routed.error());
    co_return;
  }
  const route& r = *routed;

  // Forward the client's bytes unchanged unless the model name must change
  // (alias or group) or a stream needs usage reporting switched on.
  bool inject_usage = info.stream && !info.client_include_usage;
  bool rename = r.attempts.front().model_rewritten;
  if (!inject_usage && !rename) {
    co_await proxy(rs, r, endpoint::chat_completions, body, info.stream, info.client_include_usage);
    co_return;
  }
  // Deployments of a group may each want a different model id; the body is
  // rewritten per attempt inside proxy() when they differ from the first.
  auto rewritten = buffers_.take();
  *rewritten = rewrite_chat_body(
      body, info, rename ? std::optional<std::string_view>(r.attempts.front().model) : std::nullopt, inject_usage);
  co_await proxy(rs, r, endpoint::chat_completions, *rewritten, info.stream, info.client_include_usage);
}

asio::awaitable<void> gateway::handle_embeddings(request_scope& rs) {
  auto& body = rs.req.body();
  auto parsed = parse_embeddings_request(body);
  if (!parsed) {
    co_await send_error(rs, parsed.error());
    co_return;
  }
  const embeddings_request_info& info = *parsed;
  rs.model.assign(info.model.name());
  rs.record.model = rs.model;
  rs.embeddings_info = &info;
  auto routed = state_->routes.resolve(info.model.name(), rng_());
  if (!routed) {
    co_await send_error(rs, routed.error());
    co_return;
  }
  const route& r = *routed;
  if (!r.attempts.front().model_rewritten) {
    co_await proxy(rs, r, endpoint::embeddings, body, false, false);
    co_return;
  }
  auto rewritten = buffers_.take();
  *rewritten = rewrite_model(body, info.model.offset, info.model.length, r.attempts.front().model);
  co_await proxy(rs, r, endpoint::embeddings, *rewritten, false, false);
}

}  // namespace llmgw::api
