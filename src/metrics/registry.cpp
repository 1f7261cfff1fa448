#include "metrics/registry.hpp"

#include <map>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "metrics/exposition.hpp"

namespace llmgw::metrics {

namespace {

struct histogram_sum {
  std::vector<std::uint64_t> buckets;
  double sum = 0;

  template <std::size_t N>
  void add(const histogram<N>& h) {
    buckets.resize(N + 1);
    for (std::size_t i = 0; i <= N; ++i) buckets[i] += h.bucket(i);
    sum += h.sum();
  }
  bool empty() const {
    for (auto b : buckets) {
      if (b != 0) return false;
    }
    return true;
  }
};

// One (provider, model) summed over the workers.
struct series_sum {
  std::map<std::string, std::uint64_t> requests;  // by status code (or "other")
  std::array<std::uint64_t, k_token_kinds.size()> tokens{};
  double cost_usd = 0;
  std::uint64_t unpriced = 0;
  histogram_sum duration, ttft, tpot, input_tokens, output_tokens;
};

using names = std::pair<std::string, std::string>;                        // provider, model
using op_names = std::tuple<std::string, std::string, std::string_view>;  // and operation

// The counters of `from` added to `into` (histograms are per operation).
void add_counts(series_sum& into, const series_sum& from) {
  for (const auto& [code, n] : from.requests) into.requests[code] += n;
  for (std::size_t k = 0; k < into.tokens.size(); ++k) into.tokens[k] += from.tokens[k];
  into.cost_usd += from.cost_usd;
  into.unpriced += from.unpriced;
}

}  // namespace

worker_metrics& registry::add_worker() {
  std::lock_guard lock(mutex_);
  return *workers_.emplace_back(std::make_unique<worker_metrics>());
}

std::string registry::render() const {
  std::map<op_names, series_sum> by_operation;
  std::map<names, std::uint64_t> upstream_errors;  // (provider, kind)
  std::uint64_t in_flight = 0, rate_limited = 0, budget_rejected = 0;
  std::array<std::uint64_t, 4> cache{};
  int redis = -1;  // -1: no worker has Redis; else 1 only when every one is up
  {
    std::lock_guard lock(mutex_);
    for (const auto& w : workers_) {
      const auto& providers = w->provider_names();
      const auto& models = w->model_names();
      const std::size_t n = w->series_count();
      for (std::size_t i = 0; i < n; ++i) {
        const auto& s = w->series_at(i);
        auto& sum =
            by_operation[{std::string(providers.name(s.provider)), std::string(models.name(s.model)), name_of(s.op)}];
        const std::size_t codes = s.code_count.load(std::memory_order_acquire);
        for (std::size_t c = 0; c < codes; ++c) sum.requests[std::to_string(s.codes[c])] += s.requests[c].value();
        if (auto other = s.requests[worker_metrics::k_max_codes].value(); other != 0) sum.requests["other"] += other;
        for (std::size_t k = 0; k < sum.tokens.size(); ++k) sum.tokens[k] += s.tokens[k].value();
        sum.cost_usd += s.cost_usd.value();
        sum.unpriced += s.unpriced.value();
        sum.duration.add(s.duration);
        sum.ttft.add(s.ttft);
        sum.tpot.add(s.tpot);
        sum.input_tokens.add(s.input_tokens);
        sum.output_tokens.add(s.output_tokens);
      }
      std::vector<std::uint16_t> ids;
      for (std::size_t p = 0; p < providers.size(); ++p) ids.push_back(static_cast<std::uint16_t>(p));
      ids.push_back(worker_metrics::providers::k_other);
      ids.push_back(worker_metrics::providers::k_none);
      for (auto p : ids) {
        for (std::size_t k = 0; k < k_upstream_error_kinds; ++k) {
          const auto e = static_cast<upstream_error>(k);
          if (auto v = w->upstream_errors(p, e); v != 0)
            upstream_errors[{std::string(providers.name(p)), std::string(name_of(e))}] += v;
        }
      }
      in_flight += w->in_flight();
      rate_limited += w->rate_limited();
      budget_rejected += w->budget_rejected();
      for (std::size_t c = 0; c < cache.size(); ++c) cache[c] += w->cache(static_cast<usage::cache_status>(c));
      if (const int up = w->redis_up(); up >= 0) redis = redis < 0 ? up : std::min(redis, up);
    }
  }

  // The llmgw_ counters go by (provider, model), over every operation.
  std::map<names, series_sum> series;
  for (const auto& [key, s] : by_operation) add_counts(series[{std::get<0>(key), std::get<1>(key)}], s);

  exposition x;
  x.family("llmgw_requests_total", "counter",
           "Requests finished, by the provider that answered (or was last tried; cache: the response cache), the "
           "model asked for (when routed) and the HTTP status.");
  for (const auto& [key, s] : series) {
    for (const auto& [code, n] : s.requests)
      x.sample("llmgw_requests_total", {{"provider", key.first}, {"model", key.second}, {"code", code}}, n);
  }

  auto histograms = [&](std::string_view name, std::string_view help, auto member, std::span<const double> bounds) {
    x.family(name, "histogram", help);
    for (const auto& [key, s] : by_operation) {
      const histogram_sum& h = s.*member;
      if (h.empty()) continue;
      x.histogram(name,
                  {{"gen_ai_operation_name", std::get<2>(key)},
                   {"gen_ai_provider_name", std::get<0>(key)},
                   {"gen_ai_request_model", std::get<1>(key)}},
                  bounds, h.buckets, h.sum);
    }
  };
  histograms("gen_ai_server_request_duration_seconds",
             "Time from a request's arrival to the end of its answer, every outcome included.", &series_sum::duration,
             k_duration_bounds);
  histograms("gen_ai_server_time_to_first_token_seconds",
             "Time to the first byte of a successful streamed answer sent to the client.", &series_sum::ttft,
             k_ttft_bounds);
  histograms("gen_ai_server_time_per_output_token_seconds",
             "Time per output token after the first one, of successful streamed answers.", &series_sum::tpot,
             k_tpot_bounds);

  x.family("gen_ai_client_token_usage", "histogram",
           "Input and output tokens per request, as the vendor counted them.");
  for (const auto& [key, s] : by_operation) {
    for (auto [type, h] : {std::pair{"input", &s.input_tokens}, std::pair{"output", &s.output_tokens}}) {
      if (h->empty()) continue;
      x.histogram("gen_ai_client_token_usage",
                  {{"gen_ai_operation_name", std::get<2>(key)},
                   {"gen_ai_provider_name", std::get<0>(key)},
                   {"gen_ai_request_model", std::get<1>(key)},
                   {"gen_ai_token_type", type}},
                  k_token_bounds, h->buckets, h->sum);
    }
  }

  x.family("llmgw_tokens_total", "counter",
           "Tokens by kind: input (every prompt token, cached ones included), output (reasoning included), cached "
           "(read from the vendor's prompt cache), cache_write, reasoning.");
  for (const auto& [key, s] : series) {
    for (std::size_t k = 0; k < k_token_kinds.size(); ++k) {
      if (s.tokens[k] == 0) continue;
      x.sample("llmgw_tokens_total", {{"provider", key.first}, {"model", key.second}, {"kind", k_token_kinds[k]}},
               s.tokens[k]);
    }
  }
  x.family("llmgw_cost_usd_total", "counter", "Cost in USD of the requests whose price is known.");
  for (const auto& [key, s] : series) {
    if (s.cost_usd != 0) x.sample("llmgw_cost_usd_total", {{"provider", key.first}, {"model", key.second}}, s.cost_usd);
  }
  x.family("llmgw_unpriced_requests_total", "counter", "Requests with token counts but no known price (no cost).");
  for (const auto& [key, s] : series) {
    if (s.unpriced != 0)
      x.sample("llmgw_unpriced_requests_total", {{"provider", key.first}, {"model", key.second}}, s.unpriced);
  }

  x.family("llmgw_upstream_errors_total", "counter", "Failed attempts at a vendor, by provider and kind of failure.");
  for (const auto& [key, n] : upstream_errors)
    x.sample("llmgw_upstream_errors_total", {{"provider", key.first}, {"kind", key.second}}, n);
  x.family("llmgw_rate_limit_rejections_total", "counter", "Requests refused by the gateway's own rate limits (429).");
  x.sample("llmgw_rate_limit_rejections_total", {}, rate_limited);
  x.family("llmgw_budget_rejections_total", "counter", "Requests refused because a spend budget was exhausted (429).");
  x.sample("llmgw_budget_rejections_total", {}, budget_rejected);
  x.family("llmgw_cache_requests_total", "counter", "Response cache lookups by result (hit, miss, skip).");
  for (auto s : {usage::cache_status::hit, usage::cache_status::miss, usage::cache_status::skip})
    x.sample("llmgw_cache_requests_total", {{"result", usage::name_of(s)}}, cache[static_cast<std::size_t>(s)]);
  x.family("llmgw_requests_in_flight", "gauge", "Requests begun and not yet finished (this scrape included).");
  x.sample("llmgw_requests_in_flight", {}, in_flight);
  if (usage_ != nullptr) {
    x.family("llmgw_usage_queue_depth", "gauge", "Finished requests' records waiting for the background writer.");
    x.sample("llmgw_usage_queue_depth", {}, static_cast<std::uint64_t>(usage_->pending()));
    x.family("llmgw_usage_records_dropped_total", "counter", "Records dropped because a worker's queue was full.");
    x.sample("llmgw_usage_records_dropped_total", {}, usage_->dropped());
  }
  if (database_ != nullptr) {
    const auto load = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    x.family("llmgw_usage_database_up", "gauge",
             "1 when the usage database took the last batch (or answered the last try), else 0.");
    x.sample("llmgw_usage_database_up", {}, std::uint64_t{database_->connected.load(std::memory_order_relaxed)});
    x.family("llmgw_usage_spool_bytes", "gauge",
             "Usage records spooled while the database could not take them, not yet replayed.");
    x.sample("llmgw_usage_spool_bytes", {}, load(database_->spool_bytes));
    x.family("llmgw_usage_rows_inserted_total", "counter", "Usage records written to the database.");
    x.sample("llmgw_usage_rows_inserted_total", {}, load(database_->rows_inserted));
    x.family("llmgw_usage_rows_spooled_total", "counter", "Usage records written to the spool instead.");
    x.sample("llmgw_usage_rows_spooled_total", {}, load(database_->rows_spooled));
    x.family("llmgw_usage_rows_lost_total", "counter", "Usage records lost: the spool could not be written either.");
    x.sample("llmgw_usage_rows_lost_total", {}, load(database_->rows_lost));
    x.family("llmgw_usage_rows_rejected_total", "counter",
             "Usage records the database refused (a constraint, a value a column does not take), set aside in "
             "usage-rejected.jsonl.");
    x.sample("llmgw_usage_rows_rejected_total", {}, load(database_->rows_rejected));
  }
  if (redis >= 0) {
    x.family("llmgw_redis_up", "gauge",
             "1 when every worker's Redis client (limits, cache) was answering at its last finished request, else 0.");
    x.sample("llmgw_redis_up", {}, static_cast<std::uint64_t>(redis));
  }
  return x.take();
}

}  // namespace llmgw::metrics
