// The upstream call of an OpenAI-compatible request: attempts over the
// route's deployments (failover while no byte has reached the client), then
// either one JSON response relayed as the vendor's bytes, or an SSE stream
// relayed event by event with a flush per upstream read.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <charconv>

#include "api/chat_request.hpp"
#include "api/embeddings_request.hpp"
#include "api/gateway.hpp"
#include "api/request_scope.hpp"
#include "api/usage_scan.hpp"
#include "core/json_escape.hpp"
#include "http/sse_reader.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::api {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// Largest non-streamed upstream body we hold in memory.
constexpr std::size_t k_max_upstream_body = 64 * 1024 * 1024;
constexpr std::size_t k_max_error_body = 1024 * 1024;

void append_number(std::string& out, std::size_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// The request head for the vendor: our credentials, never the client's.
void build_head(std::string& out, const upstream_target& t, std::size_t body_size, bool stream) {
  out.clear();
  out.append("POST ");
  out.append(t.target);
  out.append(" HTTP/1.1\r\n");
  append_line(out, "host", t.host_header);
  if (!t.auth_header_name.empty()) append_line(out, t.auth_header_name, t.auth_header_value);
  for (const auto& [name, value] : t.extra_headers) append_line(out, name, value);
  out.append("content-type: application/json\r\n");
  out.append(stream ? "accept: text/event-stream\r\n" : "accept: application/json\r\n");
  out.append("user-agent: llmgw/0.1\r\ncontent-length: ");
  append_number(out, body_size);
  out.append("\r\n\r\n");
}

gateway_error failure_error(http::upstream_failure f, std::string_view provider) {
  std::string msg = "Upstream provider ";
  msg.append(provider);
  msg.append(": ");
  msg.append(http::describe(f));
  msg.push_back('.');
  switch (f) {
    case http::upstream_failure::connect_timeout:
    case http::upstream_failure::first_byte_timeout:
    case http::upstream_failure::idle_timeout:
      return upstream_timeout(std::move(msg));
    default:
      return upstream_unavailable(std::move(msg));
  }
}

bool retryable_status(int status) { return status == 429 || status >= 500; }

void take_usage(access_record& rec, const token_usage& u) {
  rec.prompt_tokens = u.prompt_tokens;
  rec.completion_tokens = u.completion_tokens;
  rec.total_tokens = u.total_tokens;
  rec.cached_tokens = u.cached_tokens;
}

// Completes when the client hangs up, and cancels the upstream call then:
// raced against the upstream work so an abandoned stream stops at once.
asio::awaitable<void> watch_client(http::response_writer& out, http::upstream_call*& active) {
  // Kept as separate statements: GCC 12 miscompiles co_await inside `&&`.
  const bool gone = co_await out.wait_client_gone();
  if (gone && active) active->cancel();
  co_return;
}

}  // namespace

asio::awaitable<void> gateway::proxy(request_scope& rs, const route& r, endpoint ep, std::string_view body,
                                     bool stream, bool client_wants_usage) {
  const auto& up = state_->cfg.upstream;
  const http::upstream_timeouts timeouts{up.connect_timeout, up.first_byte_timeout, up.idle_timeout};
  const std::size_t max_attempts = std::min<std::size_t>(std::max(1u, up.max_attempts), r.attempts.size());

  auto head = buffers_.take();
  auto response = buffers_.take();
  auto per_attempt_body = buffers_.take();
  std::optional<gateway_error> last_error;

  for (std::size_t i = 0; i < max_attempts; ++i) {
    const route_attempt& a = r.attempts[i];
    const provider_config& p = *a.provider;
    rs.record.attempts = static_cast<int>(i + 1);

    if (p.kind == provider_kind::anthropic) {
      last_error = not_implemented("Model `" + rs.model + "` routes to " + p.name +
                                   ", whose adapter is not available in this version of llmgw yet.");
      continue;
    }
    auto target = make_target(p, ep, a.model);
    if (!target) {
      last_error = not_implemented("Provider " + p.name + " does not offer this endpoint.");
      continue;
    }

    // Another deployment of a group may name the model differently.
    std::string_view attempt_body = body;
    if (i > 0 && a.model != r.attempts.front().model) {
      if (rs.chat_info) {
        *per_attempt_body = rewrite_chat_body(rs.req.body(), *rs.chat_info, a.model, stream && !client_wants_usage);
      } else if (rs.embeddings_info) {
        *per_attempt_body =
            rewrite_model(rs.req.body(), rs.embeddings_info->model.offset, rs.embeddings_info->model.length, a.model);
      }
      if (!per_attempt_body->empty()) attempt_body = *per_attempt_body;
    }

    build_head(*head, *target, attempt_body.size(), stream);
    http::upstream_call call(pool_, origin_for(p), timeouts);
    http::upstream_call* active = &call;

    http::upstream_failure f;
    if (stream) {
      // While waiting for the first byte, a client that leaves cancels the call.
      auto raced = co_await (call.start(*head, attempt_body) || watch_client(rs.out, active));
      if (raced.index() == 1) {
        rs.record.status = 499;
        rs.record.error = "client closed the connection";
        co_return;
      }
      f = std::get<0>(raced);
    } else {
      f = co_await call.start(*head, attempt_body);
    }
    if (f != http::upstream_failure::none) {
      last_error = failure_error(f, p.name);
      rs.record.error = http::describe(f);
      if (http::is_retryable(f)) continue;
      break;
    }

    const int status = call.status();
    if (status < 200 || status >= 300) {
      response->clear();
      co_await call.read_all(*response, k_max_error_body);
      last_error = providers::decode_openai_error(status, *response, p.name, p.api_key);
      last_error->retry_after = std::string(call.header("retry-after"));
      rs.record.error = "upstream error";
      if (retryable_status(status)) continue;
      break;
    }

    rs.provider = p.name;
    rs.served_model = a.model;
    rs.record.provider = p.name;
    rs.record.served_model = rs.served_model;
    rs.record.error = {};

    auto content_type = call.header("content-type");
    if (stream && content_type.starts_with("text/event-stream")) {
      co_await (relay_stream(rs, call, client_wants_usage) || watch_client(rs.out, active));
      co_return;
    }

    response->clear();
    if (auto len = call.header("content-length"); !len.empty()) {
      std::size_t n = 0;
      std::from_chars(len.data(), len.data() + len.size(), n);
      if (n <= k_max_upstream_body) response->reserve(n + 64);
    }
    f = co_await call.read_all(*response, k_max_upstream_body);
    if (f != http::upstream_failure::none) {
      last_error = failure_error(f, p.name);
      rs.record.error = http::describe(f);
      rs.provider = {};
      if (http::is_retryable(f)) continue;
      break;
    }
    if (auto u = scan_usage(*response)) take_usage(rs.record, *u);
    rs.record.status = status;
    std::array<http::header_field, 3> extra;
    std::size_t n = rs.base_headers(extra);
    if (content_type.empty()) content_type = "application/json";
    co_await rs.out.send(status, content_type, *response, {extra.data(), n});
    rs.mark_first_byte();
    co_return;
  }

  // A named variable, not a ?: temporary across co_await: GCC 12 destroys such a temporary twice.
  if (!last_error) last_error = upstream_unavailable("No deployment could serve the request.");
  co_await send_error(rs, *last_error);
}

asio::awaitable<bool> gateway::relay_stream(request_scope& rs, http::upstream_call& call, bool client_wants_usage) {
  std::array<http::header_field, 3> extra;
  std::size_t nh = rs.base_headers(extra);
  rs.record.status = 200;
  if (!co_await rs.out.begin_stream(200, "text/event-stream; charset=utf-8", {extra.data(), nh})) {
    rs.record.status = 499;
    co_return false;
  }
  rs.mark_first_byte();

  http::sse_reader reader;
  http::sse_event ev;
  auto in = buffers_.take();
  auto out = buffers_.take();
  for (;;) {
    in->clear();
    auto [f, n] = co_await call.read_some(*in);
    if (n > 0) {
      reader.feed(*in);
      out->clear();
      while (reader.next(ev)) {
        if (ev.has_data && ev.data.find("\"usage\"") != std::string_view::npos) {
          if (auto u = scan_usage(ev.data)) {
            take_usage(rs.record, *u);
            // The usage-only chunk we asked for on the client's behalf.
            if (!client_wants_usage && is_usage_only_chunk(ev.data)) continue;
          }
        }
        out->append(ev.raw);
      }
      if (reader.failed()) f = http::upstream_failure::protocol;
      bool delivered = true;
      if (!out->empty()) delivered = co_await rs.out.write_chunk(*out);  // not inside && (GCC 12)
      if (!delivered) {
        call.cancel();
        rs.record.status = 499;
        rs.record.error = "client closed the connection";
        co_return false;
      }
    }
    if (f == http::upstream_failure::cancelled) {
      rs.record.status = 499;
      rs.record.error = "client closed the connection";
      co_return false;
    }
    if (f != http::upstream_failure::none) {
      // Headers are out: the failure becomes a last error event, then the
      // stream ends without [DONE] so the client knows it is incomplete.
      auto e = failure_error(f, rs.provider);
      rs.record.error = http::describe(f);
      rs.record.status = e.status;
      out->assign("data: ");
      out->append(render_openai_error(e));
      out->append("\n\n");
      co_await rs.out.write_chunk(*out);
      co_await rs.out.end_stream();
      co_return false;
    }
    if (n == 0 && call.body_done()) break;
  }
  co_await rs.out.end_stream();
  co_return true;
}

}  // namespace llmgw::api
