// The respond stage: a vendor's answer, in the client's API. A JSON answer
// is read whole, decoded by the attempt's wire (adapter, Anthropic pass-
// through, OpenAI) and turned into Anthropic's when the client speaks it; a
// stream is relayed event by event with a flush per upstream read. Errors of
// every stage are rendered here too, by the one renderer of the client's API.
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "api/attempt_plan.hpp"
#include "api/decoded_request.hpp"
#include "api/gateway.hpp"
#include "api/request_context.hpp"
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

namespace asio = boost::asio;

namespace {

// A translation replaces the buffered body (synchronously: nothing else on
// this worker ran meanwhile, so the copy's peak is one body per worker); the
// body's charge then follows the new buffer.
bool recharge(budget_charge& charge, const std::string& body) {
  charge.reset();
  return charge.grow_to(body.capacity());
}

// Reads what a stream says, by the attempt's wire: OpenAI-compatible
// events are forwarded as they are (less the usage chunk asked for on the
// client's behalf), an adapter's translator turns the vendor's events into
// OpenAI's, Anthropic's own stream to an Anthropic client is only read for
// its usage; then, for an Anthropic client of another vendor, OpenAI events
// become Anthropic's. Chosen once per stream.
class stream_reader {
 public:
  stream_reader(request_context& ctx, const decoded_request& d, const attempt_plan& plan)
      : ctx_(ctx), kind_(plan.kind), client_wants_usage_(d.client_wants_usage) {
    if (kind_ == wire::adapter) {
      providers::stream_options so;
      so.requested_model = ctx.model;
      so.include_usage = d.client_wants_usage;
      so.id = "chatcmpl-";
      so.id.append(ctx.id.view().substr(request_id::prefix.size()));
      so.created =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      translator_ = plan.adapter->translate_stream(so);
    }
    if (kind_ == wire::anthropic_passthrough) usage_reader_.emplace();
    if (plan.to_anthropic) to_anthropic_.emplace(providers::new_message_id(), ctx.model);
  }

  // Turns one upstream read (`in`, possibly empty) into what the client
  // gets (`out`); `ended` at the end of the vendor's body. A stream that
  // the vendor ended with an error leaves it in failure().
  void feed(std::string_view in, bool ended, std::string& out, std::string& scratch, bool& protocol_error) {
    if (translator_) {
      if (!in.empty()) translator_->feed(in, out);
      if (ended) translator_->finish(out);
      if (translator_->error()) failure_ = *translator_->error();
      if (translator_->usage()) ctx_.take_usage(*translator_->usage());
    } else if (usage_reader_) {
      if (!in.empty()) {
        usage_reader_->feed(in);
        if (usage_reader_->usage()) ctx_.take_usage(*usage_reader_->usage());
        out.append(in);
      }
    } else if (!in.empty()) {
      sse_.feed(in);
      while (sse_.next(event_)) {
        if (event_.has_data && event_.data.find("\"usage\"") != std::string_view::npos) {
          if (auto u = scan_usage(event_.data)) {
            ctx_.take_usage(*u);
            if (!client_wants_usage_ && is_usage_only_chunk(event_.data)) continue;
          }
        }
        out.append(event_.raw);
      }
      if (sse_.failed()) protocol_error = true;
    }
    if (to_anthropic_) {
      scratch.clear();
      if (!out.empty()) to_anthropic_->feed(out, scratch);
      if (ended && !failure_) to_anthropic_->finish(scratch);
      out.swap(scratch);
      if (to_anthropic_->failed() && !failure_) {
        // The vendor's own error event, already written in Anthropic's shape.
        ctx_.set_error(502, "upstream error in stream");
      }
    }
  }

  std::optional<gateway_error>& failure() { return failure_; }

 private:
  request_context& ctx_;
  wire kind_;
  bool client_wants_usage_;
  std::unique_ptr<providers::stream_translator> translator_;
  std::optional<providers::anthropic_usage_reader> usage_reader_;
  std::optional<providers::messages_stream_writer> to_anthropic_;
  sse_reader sse_;
  sse_event event_;
  std::optional<gateway_error> failure_;
};

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
                                                                    http::upstream_call& call, const attempt_plan& plan,
                                                                    std::size_t attempt, bool& retry) {
  const auto& up = state_->cfg.upstream;
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

  std::string_view content_type = call.header("content-type");
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

asio::awaitable<void> gateway::relay_stream(request_context& ctx, const decoded_request& d, http::upstream_call& call,
                                            const attempt_plan& plan) {
  ctx.record.status = 200;
  const auto headers = ctx.headers();
  if (!co_await ctx.out.begin_stream(200, "text/event-stream; charset=utf-8", headers)) {
    ctx.client_gone();
    co_return;
  }
  ctx.mark_first_byte();

  stream_reader reader(ctx, d, plan);
  // A stream that ends normally is stored, assembled from what the client got.
  std::optional<cache::stream_assembler> assembler;
  if (ctx.cache_store) {
    assembler.emplace(ctx.api == client_api::anthropic ? cache::answer_api::anthropic : cache::answer_api::openai);
  }
  auto in = buffers_.take();
  auto out = buffers_.take();
  auto scratch = buffers_.take();
  for (;;) {
    in->clear();
    out->clear();
    auto [f, n] = co_await call.read_some(*in);
    const bool ended = f == http::upstream_failure::none && n == 0 && call.body_done();
    bool protocol_error = false;
    reader.feed(*in, ended, *out, *scratch, protocol_error);
    if (protocol_error) f = http::upstream_failure::protocol;
    // Each chunk is cleaned of our credentials before it goes out. A secret
    // split across two upstream reads is seen as two pieces, each found only
    // if it is k_min_fragment long itself: events are not held back to join them.
    state_->scrubber.scrub(*out);
    if (assembler) {
      assembler->feed(*out);
      // Stored before the stream's end goes out, so the client's next
      // request finds it.
      if (ended && !reader.failure()) co_await cache_store(ctx, assembler->take());
    }
    bool delivered = true;
    if (!out->empty()) delivered = co_await ctx.out.write_chunk(*out);  // not inside && (GCC 12)
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
      failure = upstream_failure_error(f, plan.provider->name, state_->cfg);
      ctx.record.error = http::describe(f);
    }
    if (failure) {
      // Headers are out: the failure becomes a last error event, then the
      // stream ends without [DONE] so the client knows it is incomplete.
      scrub(*failure);
      ctx.set_error(failure->status, failure->code.empty() ? failure->type : failure->code);
      ctx.record.status = failure->status;
      if (ctx.api == client_api::anthropic) {
        out->assign("event: error\ndata: ");
        out->append(providers::render_anthropic_error(*failure));
      } else {
        out->assign("data: ");
        out->append(render_openai_error(*failure));
      }
      out->append("\n\n");
      co_await ctx.out.write_chunk(*out);
      co_await ctx.out.end_stream();
      co_return;
    }
    if (ended) break;
  }
  co_await ctx.out.end_stream();
}

}  // namespace llmgw::api
