// The respond stage: a vendor's answer, in the client's API. A JSON answer
// is read whole, decoded by the attempt's wire (adapter, Anthropic pass-
// through, OpenAI) and turned into Anthropic's when the client speaks it; a
// stream is relayed event by event with a flush per upstream read. Errors of
// every stage are rendered here too, by the one renderer of the client's API.
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>

#include "api/attempt_plan.hpp"
#include "api/decoded_request.hpp"
#include "api/gateway.hpp"
#include "api/request_context.hpp"
#include "api/running_attempt.hpp"
#include "api/stream_reader.hpp"
#include "api/upstream_failure_error.hpp"
#include "api/usage_scan.hpp"
#include "cache/cached_answer.hpp"
#include "core/header_value.hpp"
#include "core/sse_reader.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_inbound.hpp"
#include "providers/openai_embeddings.hpp"
#include "providers/openai_errors.hpp"

namespace llmgw::api {

using namespace std::string_view_literals;

namespace asio = boost::asio;

namespace {

// A translation replaces the buffered body (synchronously: nothing else on
// this worker ran meanwhile, so the copy's peak is one body per worker); the
// body's charge then follows the new buffer.
bool recharge(budget_charge& charge, const std::string& body) {
  charge.reset();
  return charge.grow_to(body.capacity());
}

}  // namespace

asio::awaitable<void> gateway::respond_error(request_context& ctx, const gateway_error& e) {
  auto body = buffers_.take();
  const int status = render_error(ctx.api, e, *body);
  ctx.set_error(status, e.code.empty() ? e.type : e.code);
  auto headers = ctx.headers();
  if (!e.retry_after.empty()) headers.add("retry-after", e.retry_after);
  co_await ctx.out.send(status, "application/json", *body, headers);
}

asio::awaitable<std::optional<gateway_error>> gateway::respond_json(request_context& ctx, const decoded_request& d,
                                                                    running_attempt& a, bool& retry) {
  const auto& up = state_->cfg.upstream;
  http::upstream_call& call = *a.call;
  const attempt_plan& plan = a.plan;
  const std::size_t attempt = a.record_index;
  const provider_config& p = *plan.provider;
  const int status = call.status();
  auto response = buffers_.take();
  // The answer is held against the worker's memory budget.
  budget_charge charge(&budget_);
  retry = false;
  auto f = co_await call.read_all(*response, up.max_response_bytes, &charge);
  if (f == http::upstream_failure::cancelled) {
    finish_attempt(ctx, attempt, status, http::describe(f), call);
    if (ctx.out.cancelled() == http::cancel_reason::shutdown) co_return shutting_down();
    ctx.client_gone();
    co_return std::nullopt;
  }
  if (f != http::upstream_failure::none) {
    finish_attempt(ctx, attempt, status, http::describe(f), call);
    ctx.record.error = http::describe(f);
    retry = http::is_retryable(f, call.progress());
    co_return upstream_failure_error(f, p.name, state_->cfg);
  }

  std::string_view content_type = a.content_type;
  const auto over_budget = [&] {
    finish_attempt(ctx, attempt, status, "over budget", call);
    return upstream_failure_error(http::upstream_failure::over_budget, p.name, state_->cfg);
  };
  if (plan.kind == wire::adapter) {
    token_usage usage;
    auto decoded = d.ep == endpoint::embeddings ? plan.adapter->decode_embeddings(*response, ctx.model, &usage)
                                                : plan.adapter->decode_chat(*response, ctx.model, &usage);
    if (!decoded) {
      finish_attempt(ctx, attempt, status, "undecodable answer", call);
      co_return decoded.error();
    }
    ctx.take_usage(usage);
    *response = std::move(*decoded);
    if (d.embeddings && d.embeddings->base64) *response = providers::embeddings_as_base64(*response);
    content_type = "application/json";
    if (!recharge(charge, *response)) co_return over_budget();
  } else if (plan.kind == wire::anthropic_passthrough) {
    if (auto u = providers::anthropic_message_usage(*response)) ctx.take_usage(*u);
  } else if (auto u = scan_usage(*response)) {
    ctx.take_usage(*u);
  }
  if (plan.to_anthropic) {
    token_usage usage;
    auto answer = providers::openai_to_messages_response(*response, ctx.model, &usage);
    if (!answer) {
      finish_attempt(ctx, attempt, status, "undecodable answer", call);
      co_return answer.error();
    }
    ctx.take_usage(usage);
    *response = std::move(*answer);
    content_type = "application/json";
    if (!recharge(charge, *response)) co_return over_budget();
  }
  finish_attempt(ctx, attempt, status, {}, call);
  ctx.answered_by(attempt);
  ctx.record.status = status;
  ctx.settle_cost();  // the usage is known: x-llmgw-cost can say what the answer cost
  const auto headers = ctx.headers();
  // The vendor's content-type is relayed only when it looks like one.
  if (!is_media_type(content_type)) content_type = "application/json";
  // A vendor that echoes our key in an answer must not hand it to the client.
  state_->scrubber.scrub(*response);
  if (ctx.cache_store && status == 200 && d.ep == endpoint::chat_completions) {
    // Made from what the client gets, so a later hit in its API is these
    // bytes; stored before they go out, so the client's next request finds it.
    auto answer = ctx.api == client_api::anthropic ? cache::answer_from_anthropic_json(*response)
                                                   : cache::answer_from_openai_json(*response);
    co_await cache_store(ctx, std::move(answer));
  }
  co_await ctx.out.send(status, content_type, *response, headers);
  ctx.mark_first_byte();
  co_return std::nullopt;
}

namespace {

// The stream's head, in a frame of its own: what it needs is gone before
// the relay's long wait on the vendor begins. Deferred: it leaves with the
// content already held, in one write.
asio::awaitable<bool> begin_relay(request_context& ctx) {
  ctx.record.status = 200;
  const auto headers = ctx.headers();
  co_return co_await ctx.out.begin_stream(200, "text/event-stream; charset=utf-8", headers, /*defer_head=*/true);
}

// While it lives, a client that hangs up (or a shutdown past the drain
// time) cancels the relayed call: the server watches the client's socket
// and calls back.
class cancel_call_on_stop {
 public:
  cancel_call_on_stop(http::response_writer& out, http::upstream_call& call) : out_(out) {
    out_.on_cancel([&call](http::cancel_reason) { call.cancel(); });
  }
  ~cancel_call_on_stop() { out_.clear_cancel(); }
  cancel_call_on_stop(const cancel_call_on_stop&) = delete;
  cancel_call_on_stop& operator=(const cancel_call_on_stop&) = delete;

 private:
  http::response_writer& out_;
};

}  // namespace

asio::awaitable<void> gateway::respond_stream(request_context& ctx, std::unique_ptr<running_attempt> a) {
  http::upstream_call& call = *a->call;
  {
    const cancel_call_on_stop stop(ctx.out, call);
    co_await relay_stream(ctx, *a);
  }
  finish_attempt(ctx, a->record_index, a->status,
                 ctx.record.status == a->status ? std::string_view{} : std::string_view(ctx.record.error), call);
}

asio::awaitable<void> gateway::relay_stream(request_context& ctx, running_attempt& a) {
  http::upstream_call& call = *a.call;
  stream_reader& reader = *a.reader;
  a.probe.reset();  // content was seen: the probe is not fed again
  if (!co_await begin_relay(ctx)) {
    call.cancel();
    ctx.client_gone();
    co_return;
  }
  ctx.mark_first_byte();

  // A stream that ends normally is stored, assembled from what the client
  // got (on the heap: a stream that is not stored needs none of it, and the
  // frame lives as long as the stream).
  std::unique_ptr<cache::stream_assembler> assembler;
  if (ctx.cache_store) {
    assembler = std::make_unique<cache::stream_assembler>(answer_api_of(ctx.api));
  }
  // First what the stream said up to its first content (held back until
  // then), with the state of the read that brought it; then read on.
  std::string& out = *a.held;
  std::string& in = *a.in;
  http::upstream_failure f = a.failure;
  bool ended = a.ended;
  bool failed_in_stream = false;
  for (;;) {
    if (reader.usage()) ctx.take_usage(*reader.usage());
    if (reader.failed_in_client_shape() && !reader.failure() && !failed_in_stream) {
      // The vendor's own error event, already written in Anthropic's shape.
      failed_in_stream = true;
      ctx.set_error(502, "upstream error in stream");
    }
    // Each chunk is cleaned of our credentials before it goes out. A secret
    // split across two upstream reads is seen as two pieces, each found only
    // if it is k_min_fragment long itself: events are not held back to join them.
    state_->scrubber.scrub(out);
    if (assembler) {
      assembler->feed(out);
      // Stored before the stream's end goes out, so the client's next
      // request finds it.
      if (ended && !reader.failure()) co_await cache_store(ctx, assembler->take());
    }
    if (ended && f == http::upstream_failure::none && !reader.failure() &&
        ctx.out.cancelled() != http::cancel_reason::shutdown) {
      // The vendor's last bytes came with its end: they and the stream's
      // end leave in one write (with the head too, for a stream read whole).
      if (!co_await ctx.out.end_stream_with(out)) ctx.client_gone();
      co_return;
    }
    bool delivered = true;
    if (!out.empty()) delivered = co_await ctx.out.write_chunk(out);  // not inside && (GCC 12)
    const bool stopping = ctx.out.cancelled() == http::cancel_reason::shutdown;
    if (!delivered || (f == http::upstream_failure::cancelled && !stopping)) {
      call.cancel();
      ctx.client_gone();
      co_return;
    }
    auto& failure = reader.failure();
    // Past the drain time: the stream ends with an error event and its
    // closing chunk, so the client knows it is incomplete.
    if (stopping && !failure) failure = shutting_down();
    if (f != http::upstream_failure::none && !failure) {
      failure = upstream_failure_error(f, a.plan.provider->name, state_->cfg);
      ctx.record.error = http::describe(f);
    }
    if (failure) {
      // Headers are out: the failure becomes a last error event, then the
      // stream ends without [DONE] so the client knows it is incomplete.
      scrub(*failure);
      ctx.set_error(failure->status, failure->code.empty() ? failure->type : failure->code);
      ctx.record.status = failure->status;
      if (ctx.api == client_api::anthropic) {
        out.assign("event: error\ndata: ");
        out.append(providers::render_anthropic_error(*failure));
      } else {
        out.assign("data: ");
        out.append(render_openai_error(*failure));
      }
      out.append("\n\n"sv);
      co_await ctx.out.write_chunk(out);
      co_await ctx.out.end_stream();
      co_return;
    }
    if (ended) break;
    in.clear();
    out.clear();
    auto [rf, n] = co_await call.read_some(in);
    f = rf;
    ended = f == http::upstream_failure::none && n == 0 && call.body_done();
    reader.feed(in, ended, out, *a.scratch);
    if (reader.protocol_error() && f == http::upstream_failure::none) f = http::upstream_failure::protocol;
  }
  co_await ctx.out.end_stream();
}

}  // namespace llmgw::api
