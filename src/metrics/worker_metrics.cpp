#include "metrics/worker_metrics.hpp"

namespace llmgw::metrics {

std::string_view name_of(upstream_error e) {
  switch (e) {
    case upstream_error::connect:
      return "connect";
    case upstream_error::timeout:
      return "timeout";
    case upstream_error::reset:
      return "reset";
    case upstream_error::invalid_response:
      return "invalid_response";
    case upstream_error::rate_limited:
      return "rate_limited";
    case upstream_error::server_error:
      return "server_error";
    case upstream_error::client_error:
      return "client_error";
    case upstream_error::cancelled:
      return "cancelled";
    case upstream_error::other:
      break;
  }
  return "other";
}

std::string_view name_of(operation o) {
  switch (o) {
    case operation::chat:
      return "chat";
    case operation::embeddings:
      return "embeddings";
    case operation::other:
      break;
  }
  return "other";
}

operation operation_of(std::string_view path) {
  // OpenAI's chat completions and Anthropic's messages are both `chat`.
  if (path.ends_with("/chat/completions") || path.ends_with("/messages")) return operation::chat;
  if (path.ends_with("/embeddings")) return operation::embeddings;
  return operation::other;
}

upstream_error classify(const usage::attempt_record& a) {
  // The vendor's status says most; without one, the words the attempt
  // stage records (http::describe and the respond stage's own).
  if (a.status == 429) return upstream_error::rate_limited;
  if (a.status >= 500) return upstream_error::server_error;
  if (a.status >= 400) return upstream_error::client_error;
  const std::string_view e = a.error;
  // Before "connect", which "closed the connection" contains.
  if (e.find("closed the connection") != std::string_view::npos) return upstream_error::reset;
  if (e.find("connect") != std::string_view::npos || e.find("TLS") != std::string_view::npos)
    return upstream_error::connect;
  if (e.find("in time") != std::string_view::npos || e.find("timeout") != std::string_view::npos ||
      e.find("stopped sending") != std::string_view::npos)
    return upstream_error::timeout;
  if (e.find("invalid") != std::string_view::npos || e.find("too large") != std::string_view::npos ||
      e.find("undecodable") != std::string_view::npos)
    return upstream_error::invalid_response;
  if (e == "cancelled" || e == "interrupted") return upstream_error::cancelled;
  return upstream_error::other;
}

worker_metrics::worker_metrics() : series_(std::make_unique<series[]>(k_max_series)) {}

std::uint64_t worker_metrics::in_flight() const {
  // Ended first: a request that ends between the two loads then counts as
  // still in flight, never as minus one.
  const std::uint64_t ended = ended_.value();
  return began_.value() - ended;
}

worker_metrics::series& worker_metrics::series_for(std::uint16_t provider, std::uint16_t model, operation op) {
  const auto o = static_cast<std::size_t>(op);
  if (const std::uint16_t i = index_[provider][model][o]; i != 0) return series_[i - 1];
  std::size_t n = series_count_.load(std::memory_order_relaxed);
  // The last slot is kept for (other, other, other), where every series
  // past the others goes.
  if (n + 1 >= k_max_series) {
    provider = providers::k_other;
    model = models::k_other;
    op = operation::other;
    if (const std::uint16_t i = index_[provider][model][k_operations - 1]; i != 0) return series_[i - 1];
    n = k_max_series - 1;
  }
  series& s = series_[n];
  s.provider = provider;
  s.model = model;
  s.op = op;
  index_[provider][model][static_cast<std::size_t>(op)] = static_cast<std::uint16_t>(n + 1);
  series_count_.store(n + 1, std::memory_order_release);
  return s;
}

void worker_metrics::observe(const usage::request_record& r, bool routed) {
  // A request no vendor answered is counted at the provider it last tried.
  // A cache hit is answered by the gateway itself.
  std::string_view provider = r.provider;
  if (provider.empty() && !r.attempts.empty()) provider = r.attempts.back().provider;
  if (provider.empty() && r.cache == usage::cache_status::hit) provider = "cache";
  series& s = series_for(providers_.id(provider), routed ? models_.id(r.model) : models::k_none, operation_of(r.path));

  const std::size_t codes = s.code_count.load(std::memory_order_relaxed);
  std::size_t cell = k_max_codes;
  for (std::size_t i = 0; i < codes; ++i) {
    if (s.codes[i] == r.status) {
      cell = i;
      break;
    }
  }
  if (cell == k_max_codes && codes < k_max_codes) {
    s.codes[codes] = static_cast<std::uint16_t>(r.status);
    s.code_count.store(codes + 1, std::memory_order_release);
    cell = codes;
  }
  s.requests[cell].add();

  s.duration.observe(r.latency_ms / 1000, k_duration_bounds);
  const bool ok = r.status >= 200 && r.status < 300;
  if (ok && r.stream && r.ttfb_ms >= 0) {
    s.ttft.observe(r.ttfb_ms / 1000, k_ttft_bounds);
    // After the first token, per further one.
    if (r.completion_tokens > 1 && r.latency_ms > r.ttfb_ms) {
      s.tpot.observe((r.latency_ms - r.ttfb_ms) / 1000 / static_cast<double>(r.completion_tokens - 1), k_tpot_bounds);
    }
  }
  if (r.usage != usage::usage_source::none) {
    if (r.prompt_tokens >= 0) {
      s.tokens[0].add(static_cast<std::uint64_t>(r.prompt_tokens));
      s.input_tokens.observe(static_cast<double>(r.prompt_tokens), k_token_bounds);
    }
    if (r.completion_tokens >= 0) {
      s.tokens[1].add(static_cast<std::uint64_t>(r.completion_tokens));
      s.output_tokens.observe(static_cast<double>(r.completion_tokens), k_token_bounds);
    }
    if (r.cached_tokens > 0) s.tokens[2].add(static_cast<std::uint64_t>(r.cached_tokens));
    if (r.cache_write_tokens > 0) s.tokens[3].add(static_cast<std::uint64_t>(r.cache_write_tokens));
    if (r.reasoning_tokens > 0) s.tokens[4].add(static_cast<std::uint64_t>(r.reasoning_tokens));
    if (!r.cost_known) s.unpriced.add();
  }
  if (r.cost_known) s.cost_usd.add(r.cost_usd);

  for (const auto& a : r.attempts) {
    if (a.error.empty()) continue;
    upstream_errors_[providers_.id(a.provider)][static_cast<std::size_t>(classify(a))].add();
  }
  if (r.status == 429) {
    if (r.error == "gateway_rate_limit") rate_limited_.add();
    if (r.error == "budget_exceeded") budget_rejected_.add();
  }
  cache_[static_cast<std::size_t>(r.cache)].add();
}

}  // namespace llmgw::metrics
