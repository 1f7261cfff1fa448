#pragma once
// One worker thread's counters and histograms. Only the worker writes them
// (once per finished request, from its record); a scrape on any thread
// reads them and sums the workers (registry.hpp). Every cell is a relaxed
// atomic written with a plain load and store, never a read-modify-write:
// the worker pays what a plain integer costs, and a concurrent read is
// defined behaviour (TSan-clean), seeing each cell either before or after.
//
// Labels are bounded: a worker names at most k_max_providers providers and
// k_max_models models (the rest are counted as "other"), and at most
// k_max_series (provider, model, operation) series. The tables are sized at start, so a
// request allocates nothing here except the first time a worker sees a
// name.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "usage/request_record.hpp"

namespace llmgw::metrics {

// A count one thread adds to and any thread reads.
class counter {
 public:
  void add(std::uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// The same for a sum of reals (seconds, dollars).
class real_counter {
 public:
  void add(double x) { v_.store(v_.load(std::memory_order_relaxed) + x, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Bucket bounds (upper, inclusive) of the OpenTelemetry GenAI semantic
// conventions' recommended ExplicitBucketBoundaries.
inline constexpr std::array<double, 14> k_duration_bounds = {0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                                             1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
inline constexpr std::array<double, 16> k_ttft_bounds = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                                         0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
inline constexpr std::array<double, 13> k_tpot_bounds = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                                         0.3,  0.4,   0.5,  0.75,  1.0, 2.5};
inline constexpr std::array<double, 14> k_token_bounds = {1,     4,     16,     64,      256,     1024,     4096,
                                                          16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};

template <std::size_t N>
class histogram {
 public:
  using bounds = std::array<double, N>;
  void observe(double v, const bounds& b) {
    // The first bound at or above v (le: upper bounds are inclusive).
    const auto i = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
    buckets_[i].add();
    sum_.add(v);
  }
  // One count per bound, then +Inf; not cumulated.
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].value(); }
  double sum() const { return sum_.value(); }

 private:
  std::array<counter, N + 1> buckets_;
  real_counter sum_;
};

// Names one worker has seen, each kept once: the worker adds, any thread
// reads the names published so far (a name never changes once published).
template <std::size_t Capacity>
class label_table {
 public:
  static constexpr std::uint16_t k_other = Capacity;     // past the capacity
  static constexpr std::uint16_t k_none = Capacity + 1;  // no name (not routed)
  static constexpr std::size_t k_ids = Capacity + 2;

  // Owner thread only.
  std::uint16_t id(std::string_view name) {
    if (name.empty()) return k_none;
    const std::size_t n = size_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) {
      if (names_[i] == name) return static_cast<std::uint16_t>(i);
    }
    if (n == Capacity) return k_other;
    names_[n].assign(name);
    size_.store(n + 1, std::memory_order_release);
    return static_cast<std::uint16_t>(n);
  }
  // Any thread: the name of an id this table gave out.
  std::string_view name(std::uint16_t id) const {
    if (id == k_other) return "other";
    if (id == k_none) return "none";
    return names_[id];
  }
  std::size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  std::array<std::string, Capacity> names_;
  std::atomic<std::size_t> size_{0};
};

// Why an attempt at a vendor failed, as a bounded label value.
enum class upstream_error : std::uint8_t {
  connect,           // no connection (refused, TLS, connect timeout)
  timeout,           // connected, then no (more) answer in time
  reset,             // the vendor closed the connection
  invalid_response,  // unparsable, too large or undecodable
  rate_limited,      // the vendor's 429
  server_error,      // the vendor's 5xx
  client_error,      // the vendor's other 4xx
  cancelled,         // the client left or the worker stopped
  other,
};
inline constexpr std::size_t k_upstream_error_kinds = 9;
std::string_view name_of(upstream_error e);
upstream_error classify(const usage::attempt_record& a);

// The OpenTelemetry GenAI operation a request's endpoint performs
// (gen_ai.operation.name); `other` for the rest (model lists,
// count_tokens, unknown paths).
enum class operation : std::uint8_t { chat, embeddings, other };
inline constexpr std::size_t k_operations = 3;
std::string_view name_of(operation o);
operation operation_of(std::string_view path);

// Token kinds counted in llmgw_tokens_total.
inline constexpr std::array<std::string_view, 5> k_token_kinds = {"input", "output", "cached", "cache_write",
                                                                  "reasoning"};

// Aligned to a cache line: two workers' blocks never share one.
class alignas(64) worker_metrics {
 public:
  static constexpr std::size_t k_max_providers = 32;
  static constexpr std::size_t k_max_models = 64;
  static constexpr std::size_t k_max_series = 256;
  static constexpr std::size_t k_max_codes = 16;  // distinct statuses per series; the rest are "other"

  using providers = label_table<k_max_providers>;
  using models = label_table<k_max_models>;

  // All requests of one (provider, model, operation).
  struct series {
    std::uint16_t provider = 0;  // ids in the worker's tables; set before publication
    std::uint16_t model = 0;
    operation op = operation::other;
    // Statuses seen, published by code_count; requests counted per status,
    // the last cell for statuses past k_max_codes.
    std::array<std::uint16_t, k_max_codes> codes{};
    std::atomic<std::size_t> code_count{0};
    std::array<counter, k_max_codes + 1> requests;
    std::array<counter, k_token_kinds.size()> tokens;
    real_counter cost_usd;
    counter unpriced;  // requests with tokens but no known cost
    histogram<k_duration_bounds.size()> duration;
    histogram<k_ttft_bounds.size()> ttft;
    histogram<k_tpot_bounds.size()> tpot;
    histogram<k_token_bounds.size()> input_tokens;
    histogram<k_token_bounds.size()> output_tokens;
  };

  worker_metrics();
  worker_metrics(const worker_metrics&) = delete;
  worker_metrics& operator=(const worker_metrics&) = delete;

  // Owner thread. A request begins and ends (requests in flight).
  void request_began() { began_.add(); }
  void request_ended() { ended_.add(); }
  // One finished request. `routed`: its model name was resolved by the
  // router, so it may be a label; otherwise the model is counted as "none"
  // (a client's unknown name never becomes a label).
  void observe(const usage::request_record& r, bool routed);
  // The worker's Redis client answered (true) or is backing off (false).
  void set_redis_up(bool up) { redis_up_.store(up ? 1 : 0, std::memory_order_relaxed); }

  // Any thread.
  const providers& provider_names() const { return providers_; }
  const models& model_names() const { return models_; }
  std::size_t series_count() const { return series_count_.load(std::memory_order_acquire); }
  const series& series_at(std::size_t i) const { return series_[i]; }
  std::uint64_t upstream_errors(std::uint16_t provider, upstream_error e) const {
    return upstream_errors_[provider][static_cast<std::size_t>(e)].value();
  }
  std::uint64_t in_flight() const;
  std::uint64_t rate_limited() const { return rate_limited_.value(); }
  std::uint64_t budget_rejected() const { return budget_rejected_.value(); }
  std::uint64_t cache(usage::cache_status s) const { return cache_[static_cast<std::size_t>(s)].value(); }
  // -1: no Redis (or not yet known), 0: down, 1: up.
  int redis_up() const { return redis_up_.load(std::memory_order_relaxed); }

 private:
  series& series_for(std::uint16_t provider, std::uint16_t model, operation op);

  providers providers_;
  models models_;
  // (provider, model, operation) → 1 + index in series_; 0: none yet. Owner only.
  std::array<std::array<std::array<std::uint16_t, k_operations>, models::k_ids>, providers::k_ids> index_{};
  std::unique_ptr<series[]> series_;
  std::atomic<std::size_t> series_count_{0};
  std::array<std::array<counter, k_upstream_error_kinds>, providers::k_ids> upstream_errors_;
  counter began_;
  counter ended_;
  counter rate_limited_;
  counter budget_rejected_;
  std::array<counter, 4> cache_;  // by usage::cache_status
  std::atomic<int> redis_up_{-1};
};

}  // namespace llmgw::metrics
