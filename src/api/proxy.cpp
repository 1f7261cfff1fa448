// The upstream call of an OpenAI-compatible request: attempts over the
// route's deployments (failover while no byte has reached the client), then
// either one JSON response relayed as the vendor's bytes, or an SSE stream
// relayed event by event with a flush per upstream read.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <charconv>

#include "api/body_model.hpp"
#include "api/chat_request.hpp"
#include "api/embeddings_request.hpp"
#include "api/gateway.hpp"
#include "api/request_scope.hpp"
#include "api/upstream_failure_error.hpp"
#include "api/usage_scan.hpp"
#include "core/header_value.hpp"
#include "core/json_escape.hpp"
#include "core/sse_reader.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_inbound.hpp"
#include "providers/openai_embeddings.hpp"
#include "providers/openai_errors.hpp"
#include "providers/registry.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

// Largest vendor error body we read (the rest is dropped with the connection).
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

// The request head for the vendor: the request line and host, then the
// caller's headers (our credentials, never the client's), then these.
void begin_head(std::string& out, std::string_view target, std::string_view host) {
  out.clear();
  out.append("POST ");
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  append_line(out, "host", host);
}

void end_head(std::string& out, std::size_t body_size, bool stream) {
  out.append("content-type: application/json\r\n");
  out.append(stream ? "accept: text/event-stream\r\n" : "accept: application/json\r\n");
  out.append("user-agent: llmgw/0.1\r\ncontent-length: ");
  append_number(out, body_size);
  out.append("\r\n\r\n");
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

const providers::provider* adapter_for(provider_kind kind) { return providers::adapter_of(kind); }

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

// The request head for an adapter's request: its own headers carry the
// credentials, versions and signatures.
void build_head(std::string& out, std::string_view host_header, const providers::upstream_request& r, bool stream) {
  begin_head(out, r.target, host_header);
  for (const auto& [name, value] : r.headers) append_line(out, name, value);
  end_head(out, r.body.size(), stream);
}

// An Anthropic client's request to Anthropic: its own body, and its
// anthropic-version / anthropic-beta headers (so betas it opted into keep
// working); our key, never the client's.
void build_passthrough_head(std::string& out, const provider_config& p, const http::request& client,
                            std::size_t body_size, bool stream, bool count_tokens) {
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

// A translation replaces the buffered body (synchronously: nothing else on
// this worker ran meanwhile, so the copy's peak is one body per worker); the
// body's charge then follows the new buffer.
bool recharge(budget_charge& charge, const std::string& body) {
  charge.reset();
  return charge.grow_to(body.capacity());
}

void take_usage(access_record& rec, const token_usage& u) {
  rec.prompt_tokens = u.prompt_tokens;
  rec.completion_tokens = u.completion_tokens;
  rec.total_tokens = u.total_tokens;
  rec.cached_tokens = u.cached_tokens;
}

// While it lives, a client that hangs up (or a shutdown past the drain time)
// cancels the upstream call: the server watches the client's socket and
// calls back, so nothing runs per request beyond one registered callback.
class cancel_on_stop {
 public:
  cancel_on_stop(http::response_writer& out, http::upstream_call& call) : out_(out) {
    out_.on_cancel([&call](http::cancel_reason) { call.cancel(); });
  }
  ~cancel_on_stop() { out_.clear_cancel(); }
  cancel_on_stop(const cancel_on_stop&) = delete;
  cancel_on_stop& operator=(const cancel_on_stop&) = delete;

 private:
  http::response_writer& out_;
};

// The client hung up: nothing more to answer.
void record_client_gone(request_scope& rs) {
  rs.record.status = 499;
  rs.record.error = "client closed the connection";
}

}  // namespace

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

asio::awaitable<void> gateway::proxy(request_scope& rs, const route& r, endpoint ep, std::string_view body, bool stream,
                                     bool client_wants_usage) {
  const auto& up = state_->cfg.upstream;
  const http::upstream_timeouts timeouts{up.connect_timeout, up.first_byte_timeout, up.idle_timeout, up.total_timeout};
  const std::size_t max_attempts = std::min<std::size_t>(std::max(1u, up.max_attempts), r.attempts.size());

  auto head = buffers_.take();
  auto response = buffers_.take();
  // Response and error bodies are held against the worker's memory budget.
  budget_charge response_charge(&budget_);
  auto per_attempt_body = buffers_.take();
  std::optional<gateway_error> last_error;
  const bool anthropic_client = rs.api == request_scope::client_api::anthropic;
  // An Anthropic error answered to an Anthropic client is relayed as it
  // came; its body is the last one read into `response`.
  std::optional<int> raw_error_status;

  for (std::size_t i = 0; i < max_attempts; ++i) {
    const route_attempt& a = r.attempts[i];
    const provider_config& p = *a.provider;
    rs.record.attempts = static_cast<int>(i + 1);

    // Vendors with their own wire format go through their adapter; the
    // OpenAI-compatible ones get the client's bytes, and so does Anthropic
    // when the client speaks Anthropic's API.
    const bool passthrough = anthropic_client && p.kind == provider_kind::anthropic;
    const providers::provider* adapter = passthrough ? nullptr : adapter_for(p.kind);
    raw_error_status.reset();
    if (rs.count_tokens && !passthrough) {
      last_error = not_found_error("Token counting is offered for models served by Anthropic; `" + rs.model +
                                   "` routes to " + p.name + ".");
      continue;
    }
    if (!adapter && !passthrough && p.kind != provider_kind::openai_compatible && p.kind != provider_kind::azure) {
      last_error = not_implemented("Model `" + rs.model + "` routes to " + p.name +
                                   ", whose adapter is not available in this build of llmgw.");
      continue;
    }

    std::string_view attempt_body = body;
    std::optional<providers::upstream_request> encoded;
    if (passthrough) {
      attempt_body = rs.anthropic_body;
      if (i > 0 && a.model != r.attempts.front().model) {
        *per_attempt_body = with_model(rs.anthropic_body, a.model);
        attempt_body = *per_attempt_body;
      }
      build_passthrough_head(*head, p, rs.req, attempt_body.size(), stream, rs.count_tokens);
    } else if (adapter) {
      const providers::vendor_endpoint vep = vendor_endpoint_of(p);
      auto enc = ep == endpoint::embeddings
                     ? adapter->encode_embeddings(body, vep, a.model)
                     : adapter->encode_chat(body, vep,
                                            providers::chat_encode_options{.vendor_model = a.model, .stream = stream});
      if (!enc) {
        last_error = enc.error();  // the request cannot be expressed for this vendor: not retryable
        break;
      }
      encoded.emplace(std::move(*enc));
      attempt_body = encoded->body;
      build_head(*head, p.host_header, *encoded, stream);
    } else {
      const std::string* prefix = head_prefix_for(p, ep, a.model);
      if (!prefix) {
        last_error = not_implemented("Provider " + p.name + " does not offer this endpoint.");
        continue;
      }
      // Another deployment of a group may name the model differently.
      if (i > 0 && a.model != r.attempts.front().model) {
        if (rs.chat_info) {
          *per_attempt_body = rewrite_chat_body(rs.req.body(), *rs.chat_info, a.model, stream && !client_wants_usage);
        } else if (rs.embeddings_info) {
          *per_attempt_body =
              rewrite_model(rs.req.body(), rs.embeddings_info->model.offset, rs.embeddings_info->model.length, a.model);
        } else if (anthropic_client) {
          *per_attempt_body = with_model(body, a.model);
        }
        if (!per_attempt_body->empty()) attempt_body = *per_attempt_body;
      }
      head->assign(*prefix);
      end_head(*head, attempt_body.size(), stream);
    }

    http::upstream_call call(pool_, origin_for(p), timeouts);
    cancel_on_stop stop(rs.out, call);

    http::upstream_failure f = co_await call.start(*head, attempt_body);
    if (f == http::upstream_failure::cancelled) {
      if (rs.out.cancelled() == http::cancel_reason::shutdown) {
        last_error = shutting_down();
        break;
      }
      record_client_gone(rs);
      co_return;
    }
    if (f != http::upstream_failure::none) {
      last_error = upstream_failure_error(f, p.name, state_->cfg);
      rs.record.error = http::describe(f);
      if (http::is_retryable(f, call.progress())) continue;
      break;
    }

    const int status = call.status();
    if (status < 200 || status >= 300) {
      response->clear();
      // A body cut short (too large, timed out) is still decoded for what it says.
      f = co_await call.read_all(*response, k_max_error_body, &response_charge);
      if (f == http::upstream_failure::over_budget) {
        last_error = upstream_failure_error(f, p.name, state_->cfg);
        rs.record.error = http::describe(f);
        break;
      }
      if (passthrough) {
        last_error = providers::decode_anthropic_error(status, *response);
        raw_error_status = status;
      } else {
        last_error = adapter ? adapter->decode_error(status, *response)
                             : providers::decode_openai_error(status, *response, p.name, p.api_key);
      }
      // The vendor's header wins; an adapter may have found one in the body (Gemini's RetryInfo).
      if (auto ra = call.header("retry-after"); !ra.empty()) last_error->retry_after = std::string(ra);
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
    if (stream && (adapter || content_type.starts_with("text/event-stream"))) {
      co_await relay_stream(rs, call, client_wants_usage, adapter, passthrough);
      co_return;
    }

    response->clear();
    f = co_await call.read_all(*response, up.max_response_bytes, &response_charge);
    if (f == http::upstream_failure::cancelled) {
      rs.provider = {};
      if (rs.out.cancelled() == http::cancel_reason::shutdown) {
        last_error = shutting_down();
        break;
      }
      record_client_gone(rs);
      co_return;
    }
    if (f != http::upstream_failure::none) {
      last_error = upstream_failure_error(f, p.name, state_->cfg);
      rs.record.error = http::describe(f);
      rs.provider = {};
      if (http::is_retryable(f, call.progress())) continue;
      break;
    }
    if (adapter) {
      token_usage usage;
      auto decoded = ep == endpoint::embeddings ? adapter->decode_embeddings(*response, rs.model, &usage)
                                                : adapter->decode_chat(*response, rs.model, &usage);
      if (!decoded) {
        last_error = decoded.error();
        rs.provider = {};
        break;
      }
      take_usage(rs.record, usage);
      *response = std::move(*decoded);
      if (rs.embeddings_info && rs.embeddings_info->base64) *response = providers::embeddings_as_base64(*response);
      content_type = "application/json";
      if (!recharge(response_charge, *response)) {
        last_error = upstream_failure_error(http::upstream_failure::over_budget, p.name, state_->cfg);
        rs.provider = {};
        break;
      }
    } else if (passthrough) {
      if (auto u = providers::anthropic_message_usage(*response)) take_usage(rs.record, *u);
    } else if (auto u = scan_usage(*response)) {
      take_usage(rs.record, *u);
    }
    if (anthropic_client && !passthrough) {
      token_usage usage;
      auto answer = providers::openai_to_messages_response(*response, rs.model, &usage);
      if (!answer) {
        last_error = answer.error();
        rs.provider = {};
        break;
      }
      take_usage(rs.record, usage);
      *response = std::move(*answer);
      content_type = "application/json";
      if (!recharge(response_charge, *response)) {
        last_error = upstream_failure_error(http::upstream_failure::over_budget, p.name, state_->cfg);
        rs.provider = {};
        break;
      }
    }
    rs.record.status = status;
    std::array<http::header_field, 3> extra;
    std::size_t n = rs.base_headers(extra);
    // The vendor's content-type is relayed only when it looks like one.
    if (!is_media_type(content_type)) content_type = "application/json";
    // A vendor that echoes our key in an answer must not hand it to the client.
    state_->scrubber.scrub(*response);
    co_await rs.out.send(status, content_type, *response, {extra.data(), n});
    rs.mark_first_byte();
    co_return;
  }

  if (last_error) {
    // What a vendor said reaches the client without our credentials in any
    // field, and its retry-after only when it is one (a CR LF in it would
    // forge headers; a key in it would leak).
    scrub(*last_error);
    if (!is_retry_after(last_error->retry_after)) last_error->retry_after.clear();
  }
  if (raw_error_status) {
    // Anthropic's own error for an Anthropic client: status, body and retry-after as sent (less our credentials).
    state_->scrubber.scrub(*response);
    rs.record.status = *raw_error_status;
    std::array<http::header_field, 4> extra;
    std::size_t n = rs.base_headers(extra);
    if (!last_error->retry_after.empty()) extra[n++] = {"retry-after", last_error->retry_after};
    co_await rs.out.send(*raw_error_status, "application/json", *response, {extra.data(), n});
    co_return;
  }
  // A named variable, not a ?: temporary across co_await: GCC 12 destroys such a temporary twice.
  if (!last_error) last_error = upstream_unavailable("No deployment could serve the request.");
  co_await send_error(rs, *last_error);
}

asio::awaitable<bool> gateway::relay_stream(request_scope& rs, http::upstream_call& call, bool client_wants_usage,
                                            const providers::provider* adapter, bool passthrough) {
  std::array<http::header_field, 3> extra;
  std::size_t nh = rs.base_headers(extra);
  rs.record.status = 200;
  if (!co_await rs.out.begin_stream(200, "text/event-stream; charset=utf-8", {extra.data(), nh})) {
    rs.record.status = 499;
    co_return false;
  }
  rs.mark_first_byte();

  // OpenAI-compatible vendors: their events are forwarded as they are, less
  // the usage chunk we asked for on the client's behalf. Other vendors: their
  // adapter's translator turns whatever they send into OpenAI events.
  std::unique_ptr<providers::stream_translator> translator;
  if (adapter) {
    providers::stream_options so;
    so.requested_model = rs.model;
    so.include_usage = client_wants_usage;
    so.id = "chatcmpl-";
    so.id.append(rs.id.view().substr(request_id::prefix.size()));
    so.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    translator = adapter->translate_stream(so);
  }
  // Anthropic's own stream relayed to an Anthropic client is read for its
  // usage only; an Anthropic client of any other vendor gets the OpenAI
  // events turned into Anthropic's.
  std::optional<providers::anthropic_usage_reader> usage_reader;
  if (passthrough) usage_reader.emplace();
  std::optional<providers::messages_stream_writer> to_anthropic;
  if (rs.api == request_scope::client_api::anthropic && !passthrough)
    to_anthropic.emplace(providers::new_message_id(), rs.model);
  auto converted = buffers_.take();
  sse_reader reader;
  sse_event ev;
  auto in = buffers_.take();
  auto out = buffers_.take();
  std::optional<gateway_error> failure;
  for (;;) {
    in->clear();
    out->clear();
    auto [f, n] = co_await call.read_some(*in);
    const bool ended = f == http::upstream_failure::none && n == 0 && call.body_done();
    if (translator) {
      if (n > 0) translator->feed(*in, *out);
      if (ended) translator->finish(*out);
      if (translator->error()) failure = *translator->error();
      if (translator->usage()) take_usage(rs.record, *translator->usage());
    } else if (passthrough) {
      if (n > 0) {
        usage_reader->feed(*in);
        if (usage_reader->usage()) take_usage(rs.record, *usage_reader->usage());
        out->append(*in);
      }
    } else if (n > 0) {
      reader.feed(*in);
      while (reader.next(ev)) {
        if (ev.has_data && ev.data.find("\"usage\"") != std::string_view::npos) {
          if (auto u = scan_usage(ev.data)) {
            take_usage(rs.record, *u);
            if (!client_wants_usage && is_usage_only_chunk(ev.data)) continue;
          }
        }
        out->append(ev.raw);
      }
      if (reader.failed()) f = http::upstream_failure::protocol;
    }
    if (to_anthropic) {
      converted->clear();
      if (!out->empty()) to_anthropic->feed(*out, *converted);
      if (ended && !failure) to_anthropic->finish(*converted);
      out->swap(*converted);
      if (to_anthropic->failed() && !failure) {
        // The vendor's own error event, already written in Anthropic's shape.
        rs.record.status = 502;
        if (rs.record.error.empty()) rs.record.error = "upstream error in stream";
      }
    }
    // Each chunk is cleaned of our credentials before it goes out. A secret
    // split across two upstream reads is seen as two pieces, each found only
    // if it is k_min_fragment long itself: events are not held back to join them.
    state_->scrubber.scrub(*out);
    bool delivered = true;
    if (!out->empty()) delivered = co_await rs.out.write_chunk(*out);  // not inside && (GCC 12)
    const bool stopping = rs.out.cancelled() == http::cancel_reason::shutdown;
    if (!delivered || (f == http::upstream_failure::cancelled && !stopping)) {
      call.cancel();
      record_client_gone(rs);
      co_return false;
    }
    // Past the drain time: the stream ends with an error event and its
    // closing chunk, so the client knows it is incomplete.
    if (stopping && !failure) failure = shutting_down();
    if (f != http::upstream_failure::none && !failure) {
      failure = upstream_failure_error(f, rs.provider, state_->cfg);
      rs.record.error = http::describe(f);
    }
    if (failure) {
      // Headers are out: the failure becomes a last error event, then the
      // stream ends without [DONE] so the client knows it is incomplete.
      scrub(*failure);
      rs.record.status = failure->status;
      if (rs.record.error.empty()) {
        rs.error_code = failure->code.empty() ? failure->type : failure->code;
        rs.record.error = rs.error_code;
      }
      if (rs.api == request_scope::client_api::anthropic) {
        out->assign("event: error\ndata: ");
        out->append(providers::render_anthropic_error(*failure));
      } else {
        out->assign("data: ");
        out->append(render_openai_error(*failure));
      }
      out->append("\n\n");
      co_await rs.out.write_chunk(*out);
      co_await rs.out.end_stream();
      co_return false;
    }
    if (ended) break;
  }
  co_await rs.out.end_stream();
  co_return true;
}

}  // namespace llmgw::api
