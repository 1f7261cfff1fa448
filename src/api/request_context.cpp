#include "api/request_context.hpp"

#include <algorithm>
#include <charconv>

#include "core/append_number.hpp"
#include "cost/cost.hpp"
#include "cost/price_catalog.hpp"

namespace llmgw::api {

namespace {

std::string_view api_name(client_api a) { return a == client_api::anthropic ? "anthropic" : "openai"; }

}  // namespace

std::unique_ptr<usage::request_record> record_pool::take() {
  if (free_.empty()) return std::make_unique<usage::request_record>();
  auto r = std::move(free_.back());
  free_.pop_back();
  return r;
}

void record_pool::give_back(std::unique_ptr<usage::request_record> r) {
  if (free_.size() >= 256) return;
  usage::release_large_fields(*r);
  usage::reset_record(*r);
  free_.push_back(std::move(r));
}

request_context::request_context(http::request& r, http::response_writer& w, usage::record_queue* records,
                                 record_pool& pool, metrics::worker_metrics* metrics)
    : req(r),
      out(w),
      id(request_id::generate()),
      started(clock::now()),
      api(client_api_for_path(r.path())),
      count_tokens(r.path().ends_with("/messages/count_tokens")),
      pool_(pool),
      owned_(pool.take()),
      record(*owned_),
      records_(records),
      metrics_(metrics) {
  if (metrics_ != nullptr) metrics_->request_began();
  record.request_id = id.view();
  record.method = r.method();
  usage::assign_field(record.path, r.path());
  record.client_api = api_name(api);
  w.use_request_id(id.view());  // the server's own answers to this request quote it too
  w.before_last_bytes([](void* self) { static_cast<request_context*>(self)->settle_limits(); }, this);
}

request_context::~request_context() {
  out.before_last_bytes(nullptr, nullptr);  // the server may still answer (a handler that threw)
  // Only when no stage finished the request: its frame is being destroyed
  // with the worker (shutdown), or a path forgot to. Still one record.
  if (!finished_) {
    if (record.status == 0 && !out.started()) set_error(499, "request stopped before an answer");
    finish();
  }
  if (metrics_ != nullptr) metrics_->request_ended();
  pool_.give_back(std::move(owned_));
}

void request_context::set_caller(const principal& p) {
  record.key_name = p.name;
  record.key_id = p.id;
  record.team = p.team;
  caller_limits = p.limits;
  caller_is_master = p.is_master;
}

void request_context::set_model(std::string_view requested) {
  model.assign(requested);
  usage::assign_field(record.model, requested);
}

std::size_t request_context::begin_attempt(std::string_view provider, std::string_view vendor_model) {
  auto& a = record.attempts.emplace_back();
  a.provider = provider;
  a.model = vendor_model;
  a.open = true;
  a.started_ms = elapsed_ms();
  ++open_attempts_;
  return record.attempts.size() - 1;
}

void request_context::end_attempt(std::size_t index, int status, std::string_view error, double connect_ms,
                                  double first_byte_ms) {
  auto& a = record.attempts[index];
  a.status = status;
  a.error = error;
  a.connect_ms = connect_ms;
  a.first_byte_ms = first_byte_ms;
  if (!a.open) return;
  a.total_ms = elapsed_ms() - a.started_ms;
  a.open = false;
  --open_attempts_;
}

void request_context::answered_by(std::size_t index) {
  const auto& a = record.attempts[index];
  record.provider = a.provider;
  record.served_model = a.model;
  record.error.clear();
}

void request_context::unanswered() {
  record.provider.clear();
  record.served_model.clear();
}

void request_context::take_usage(const token_usage& u, usage::usage_source source) {
  record.prompt_tokens = u.prompt_tokens;
  record.completion_tokens = u.completion_tokens;
  record.total_tokens = u.total_tokens;
  record.cached_tokens = u.cached_tokens;
  record.cache_write_tokens = u.cache_creation_tokens;
  record.reasoning_tokens = u.reasoning_tokens;
  record.usage = source;
}

void request_context::settle_cost() {
  if (cost_settled_) return;
  cost_settled_ = true;
  if (record.usage == usage::usage_source::none) return;  // nothing counted: nothing to price
  if (!price) {
    cost::count_unpriced_request();
    return;
  }
  token_usage u;
  u.prompt_tokens = record.prompt_tokens;
  u.completion_tokens = record.completion_tokens;
  u.cached_tokens = record.cached_tokens;
  u.cache_creation_tokens = record.cache_write_tokens;
  const cost::cost_breakdown c = cost::compute_cost(u, *price);
  record.cost_known = true;
  record.cost_input_usd = c.input;
  record.cost_cached_input_usd = c.cached_input;
  record.cost_cache_write_usd = c.cache_write;
  record.cost_output_usd = c.output;
  record.cost_usd = c.total();
  cost_text_ = cost::format_usd(record.cost_usd);
}

void request_context::set_error(int status, std::string_view what) {
  record.status = status;
  if (record.error.empty()) record.error = what;
}

void request_context::client_gone() {
  record.status = 499;
  record.error = "client closed the connection";
}

void request_context::mark_first_byte() {
  if (record.ttfb_ms < 0) record.ttfb_ms = elapsed_ms();
}

double request_context::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(clock::now() - started).count();
}

http::response_headers request_context::headers() const {
  http::response_headers h;
  h.add("x-request-id", id.view());
  if (!record.provider.empty()) {
    h.add("x-llmgw-provider", record.provider);
    h.add("x-llmgw-model", record.served_model);
  }
  if (!record.attempts.empty()) {
    const auto [end, ec] =
        std::to_chars(attempts_text_, attempts_text_ + sizeof attempts_text_, record.attempts.size());
    if (ec == std::errc{}) h.add("x-llmgw-attempts", std::string_view(attempts_text_, end - attempts_text_));
  }
  if (record.cost_known) h.add("x-llmgw-cost", cost_text_);
  if (open_attempts_ == 0) {
    // The gateway's own time: all of it but the attempts at vendors.
    const double upstream = usage::upstream_ms(record);
    overhead_text_.clear();
    append_fixed(overhead_text_, std::max(0.0, elapsed_ms() - upstream), 3);
    h.add("x-llmgw-overhead-ms", overhead_text_);
  }
  limits.add_headers(h);
  if (record.cache != usage::cache_status::not_looked_up) {
    h.add("x-llmgw-cache", usage::name_of(record.cache));
    if (record.cache == usage::cache_status::hit) h.add("age", cache_age);
  }
  return h;
}

void request_context::finish() {
  if (finished_) return;
  finished_ = true;
  record.latency_ms = elapsed_ms();
  for (auto& a : record.attempts) {
    if (!a.open) continue;
    // The request ended inside an attempt (an exception, a stopped worker).
    a.total_ms = record.latency_ms - a.started_ms;
    if (a.error.empty()) a.error = "interrupted";
    a.open = false;
  }
  open_attempts_ = 0;
  if (record.status == 0) record.status = out.status();
  settle_limits();
  record.bytes_out = static_cast<std::int64_t>(out.body_bytes());
  if (metrics_ != nullptr) metrics_->observe(record, routed);
  if (records_ == nullptr) return;
  record.ended = std::chrono::system_clock::now();
  records_->try_push([&](usage::request_record& slot) { usage::copy_record(record, slot); });
}

void request_context::settle_limits() {
  if (limits_settled_) return;
  limits_settled_ = true;
  settle_cost();
  // The reservation trued up to what the vendor counted; without a count
  // (an error before any usage, a stream cut early) the estimate stands.
  std::optional<std::uint64_t> used;
  if (record.prompt_tokens >= 0 || record.completion_tokens >= 0)
    used = static_cast<std::uint64_t>(std::max<std::int64_t>(0, record.prompt_tokens) +
                                      std::max<std::int64_t>(0, record.completion_tokens));
  // A cache hit counts as a request but costs no tokens: all given back.
  if (record.cache == usage::cache_status::hit) used = 0;
  // Budgets: what the request cost; nothing when no vendor was asked or the
  // cache answered; the estimate stands when it cannot be priced.
  std::optional<double> usd;
  if (record.cost_known) usd = record.cost_usd;
  if (record.attempts.empty() || record.cache == usage::cache_status::hit) usd = 0.0;
  limits.settle(used, usd);
}

}  // namespace llmgw::api
