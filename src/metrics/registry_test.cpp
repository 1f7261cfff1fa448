#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace llmgw::metrics {
namespace {

usage::request_record answered(std::string provider, std::string model, int status = 200) {
  usage::request_record r;
  r.path = "/v1/chat/completions";
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.status = status;
  r.latency_ms = 30;  // 0.03 s: the 0.04 bucket
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(metrics_registry, a_scrape_sums_the_workers_by_name) {
  registry reg;
  auto& a = reg.add_worker();
  auto& b = reg.add_worker();
  // Each worker numbers names in its own order: the sum goes by name.
  a.observe(answered("openai", "gpt-4o"), true);
  a.observe(answered("anthropic", "claude-sonnet-4"), true);
  b.observe(answered("anthropic", "claude-sonnet-4"), true);
  b.observe(answered("openai", "gpt-4o"), true);
  b.observe(answered("openai", "gpt-4o", 500), true);
  const std::string t = reg.render();
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="openai",model="gpt-4o",code="200"} 2)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="openai",model="gpt-4o",code="500"} 1)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="anthropic",model="claude-sonnet-4",code="200"} 2)")) << t;
  EXPECT_TRUE(has_line(
      t,
      R"(gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",le="0.02"} 0)"))
      << t;
  EXPECT_TRUE(has_line(
      t,
      R"(gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",le="0.04"} 3)"))
      << t;
  EXPECT_TRUE(has_line(
      t,
      R"(gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o"} 3)"))
      << t;
  EXPECT_TRUE(has_line(t, "# TYPE llmgw_requests_total counter")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE gen_ai_server_request_duration_seconds histogram")) << t;
}

TEST(metrics_registry, tokens_cost_and_stream_timings) {
  registry reg;
  auto& w = reg.add_worker();
  auto r = answered("openai", "gpt-4o");
  r.stream = true;
  r.latency_ms = 1000;
  r.ttfb_ms = 100;  // 900 ms for 9 tokens after the first: 0.1 s each
  r.usage = usage::usage_source::vendor;
  r.prompt_tokens = 100;
  r.completion_tokens = 10;
  r.cached_tokens = 60;
  r.cache_write_tokens = 5;
  r.reasoning_tokens = 4;
  r.cost_known = true;
  r.cost_usd = 0.25;
  w.observe(r, true);
  r.cost_known = false;  // a second one with no price
  r.stream = false;
  w.observe(r, true);
  const std::string t = reg.render();
  const std::string pm = R"(provider="openai",model="gpt-4o")";
  EXPECT_TRUE(has_line(t, "llmgw_tokens_total{" + pm + R"(,kind="input"} 200)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_tokens_total{" + pm + R"(,kind="output"} 20)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_tokens_total{" + pm + R"(,kind="cached"} 120)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_tokens_total{" + pm + R"(,kind="cache_write"} 10)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_tokens_total{" + pm + R"(,kind="reasoning"} 8)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_cost_usd_total{" + pm + "} 0.25")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_unpriced_requests_total{" + pm + "} 1")) << t;
  const std::string g = R"(gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o")";
  // Only the streamed one has a time to first token and per output token.
  EXPECT_TRUE(has_line(t, "gen_ai_server_time_to_first_token_seconds_count{" + g + "} 1")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_server_time_to_first_token_seconds_bucket{" + g + R"(,le="0.08"} 0)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_server_time_to_first_token_seconds_bucket{" + g + R"(,le="0.1"} 1)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_server_time_per_output_token_seconds_bucket{" + g + R"(,le="0.075"} 0)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_server_time_per_output_token_seconds_bucket{" + g + R"(,le="0.1"} 1)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_client_token_usage_sum{" + g + R"(,gen_ai_token_type="input"} 200)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_client_token_usage_bucket{" + g + R"(,gen_ai_token_type="output",le="4"} 0)")) << t;
  EXPECT_TRUE(has_line(t, "gen_ai_client_token_usage_bucket{" + g + R"(,gen_ai_token_type="output",le="16"} 2)")) << t;
}

TEST(metrics_registry, an_unrouted_model_name_is_never_a_label) {
  registry reg;
  auto& w = reg.add_worker();
  auto r = answered("", "whatever-the-client-typed", 404);
  w.observe(r, false);
  const std::string t = reg.render();
  EXPECT_EQ(t.find("whatever-the-client-typed"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="none",model="none",code="404"} 1)")) << t;
}

TEST(metrics_registry, model_labels_are_capped_per_worker) {
  registry reg;
  auto& w = reg.add_worker();
  for (std::size_t i = 0; i < worker_metrics::k_max_models + 10; ++i)
    w.observe(answered("openai", "m" + std::to_string(i)), true);
  w.observe(answered("openai", "m0"), true);  // a known one still counts under its name
  const std::string t = reg.render();
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="openai",model="m0",code="200"} 2)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="openai",model="other",code="200"} 10)")) << t;
  EXPECT_EQ(t.find("model=\"m" + std::to_string(worker_metrics::k_max_models) + "\""), std::string::npos);
}

TEST(metrics_registry, series_and_status_codes_are_capped) {
  registry reg;
  auto& w = reg.add_worker();
  // 32 providers × 64 models would be 2048 pairs: past k_max_series they
  // share one (other, other) series.
  std::uint64_t n = 0;
  for (std::size_t p = 0; p < worker_metrics::k_max_providers; ++p) {
    for (std::size_t m = 0; m < 10; ++m, ++n)
      w.observe(answered("p" + std::to_string(p), "m" + std::to_string(m)), true);
  }
  EXPECT_EQ(w.series_count(), worker_metrics::k_max_series);
  const auto& last = w.series_at(worker_metrics::k_max_series - 1);
  EXPECT_EQ(last.provider, worker_metrics::providers::k_other);
  EXPECT_EQ(last.model, worker_metrics::models::k_other);
  EXPECT_EQ(last.op, operation::other);
  EXPECT_EQ(last.requests[0].value(), n - (worker_metrics::k_max_series - 1));
  // Statuses: the first k_max_codes by code (200 is one already), the rest as "other".
  for (int code = 400; code < 400 + static_cast<int>(worker_metrics::k_max_codes) + 3; ++code)
    w.observe(answered("p0", "m0", code), true);
  const std::string t = reg.render();
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="p0",model="m0",code="other"} 4)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="other",model="other",code="200"} )" +
                              std::to_string(n - (worker_metrics::k_max_series - 1))))
      << t;
}

TEST(metrics_registry, upstream_errors_rejections_cache_and_in_flight) {
  registry reg;
  auto& w = reg.add_worker();
  auto r = answered("", "gpt-4o", 502);
  auto& a1 = r.attempts.emplace_back();
  a1.provider = "openai";
  a1.status = 503;
  a1.error = "upstream error";
  auto& a2 = r.attempts.emplace_back();
  a2.provider = "azure";
  a2.error = "could not connect to the upstream";
  w.observe(r, true);
  auto limited = answered("", "gpt-4o", 429);
  limited.error = "gateway_rate_limit";
  w.observe(limited, true);
  auto broke = answered("", "gpt-4o", 429);
  broke.error = "budget_exceeded";
  w.observe(broke, true);
  auto hit = answered("", "gpt-4o");
  hit.cache = usage::cache_status::hit;
  w.observe(hit, true);
  w.request_began();
  w.request_began();
  w.request_ended();
  const std::string t = reg.render();
  // A request no vendor answered counts at the provider it tried last.
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="azure",model="gpt-4o",code="502"} 1)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_upstream_errors_total{provider="openai",kind="server_error"} 1)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_upstream_errors_total{provider="azure",kind="connect"} 1)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_rate_limit_rejections_total 1")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_budget_rejections_total 1")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_cache_requests_total{result="hit"} 1)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="cache",model="gpt-4o",code="200"} 1)")) << t;
  EXPECT_TRUE(has_line(t, R"(llmgw_cache_requests_total{result="miss"} 0)")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_requests_in_flight 1")) << t;
  EXPECT_EQ(t.find("llmgw_redis_up"), std::string::npos);  // no Redis configured
  w.set_redis_up(true);
  auto& other = reg.add_worker();
  other.set_redis_up(false);
  EXPECT_TRUE(has_line(reg.render(), "llmgw_redis_up 0"));
  other.set_redis_up(true);
  EXPECT_TRUE(has_line(reg.render(), "llmgw_redis_up 1"));
}

TEST(metrics_registry, operations_by_path_and_summed_for_the_llmgw_counters) {
  EXPECT_EQ(operation_of("/v1/chat/completions"), operation::chat);
  EXPECT_EQ(operation_of("/chat/completions"), operation::chat);
  EXPECT_EQ(operation_of("/v1/messages"), operation::chat);
  EXPECT_EQ(operation_of("/v1/embeddings"), operation::embeddings);
  EXPECT_EQ(operation_of("/v1/messages/count_tokens"), operation::other);
  EXPECT_EQ(operation_of("/v1/models"), operation::other);
  registry reg;
  auto& w = reg.add_worker();
  auto chat = answered("openai", "m");
  auto embed = answered("openai", "m");
  embed.path = "/v1/embeddings";
  w.observe(chat, true);
  w.observe(embed, true);
  const std::string t = reg.render();
  // One llmgw_ series over both; one gen_ai_ series per operation.
  EXPECT_TRUE(has_line(t, R"(llmgw_requests_total{provider="openai",model="m",code="200"} 2)")) << t;
  EXPECT_TRUE(has_line(
      t,
      R"(gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="m"} 1)"))
      << t;
  EXPECT_TRUE(has_line(
      t,
      R"(gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="embeddings",gen_ai_provider_name="openai",gen_ai_request_model="m"} 1)"))
      << t;
}

TEST(metrics_registry, classify_upstream_errors) {
  auto kind = [](int status, std::string error) {
    usage::attempt_record a;
    a.status = status;
    a.error = std::move(error);
    return name_of(classify(a));
  };
  EXPECT_EQ(kind(429, "upstream error"), "rate_limited");
  EXPECT_EQ(kind(500, "upstream error"), "server_error");
  EXPECT_EQ(kind(404, "upstream error"), "client_error");
  EXPECT_EQ(kind(0, "could not connect to the upstream"), "connect");
  EXPECT_EQ(kind(0, "TLS handshake with the upstream failed"), "connect");
  EXPECT_EQ(kind(0, "timed out connecting to the upstream"), "connect");
  EXPECT_EQ(kind(0, "the upstream did not answer in time"), "timeout");
  EXPECT_EQ(kind(0, "the upstream stopped sending"), "timeout");
  EXPECT_EQ(kind(0, "the upstream did not finish within the total timeout"), "timeout");
  EXPECT_EQ(kind(0, "the upstream closed the connection"), "reset");
  EXPECT_EQ(kind(0, "the upstream sent an invalid HTTP response"), "invalid_response");
  EXPECT_EQ(kind(200, "undecodable answer"), "invalid_response");
  EXPECT_EQ(kind(0, "cancelled"), "cancelled");
  EXPECT_EQ(kind(0, "interrupted"), "cancelled");
  EXPECT_EQ(kind(200, "something new"), "other");
}

TEST(metrics_registry, usage_queue_depth_and_drops) {
  registry reg;
  EXPECT_EQ(reg.render().find("llmgw_usage_queue_depth"), std::string::npos);
  usage::record_writer writer({}, {.queue_capacity = 64});
  auto& q = writer.add_queue();
  for (int i = 0; i < 70; ++i) q.try_push([](usage::request_record& r) { r.status = 200; });
  reg.watch_usage(&writer);
  const std::string t = reg.render();
  EXPECT_TRUE(has_line(t, "llmgw_usage_queue_depth 64")) << t;
  EXPECT_TRUE(has_line(t, "llmgw_usage_records_dropped_total 6")) << t;
}

// A scrape reads while the workers write: defined behaviour (run under TSan
// by the tsan preset), and every count the writers finished is there.
TEST(metrics_registry, scrapes_while_workers_write) {
  registry reg;
  auto& a = reg.add_worker();
  auto& b = reg.add_worker();
  constexpr int k_each = 20000;
  auto work = [](worker_metrics& w, std::string provider) {
    for (int i = 0; i < k_each; ++i) {
      w.request_began();
      w.observe(answered(provider, "m" + std::to_string(i % 80)), true);
      w.request_ended();
    }
  };
  std::thread ta(work, std::ref(a), "openai");
  std::thread tb(work, std::ref(b), "anthropic");
  std::size_t scrapes = 0;
  while (a.series_count() == 0 || b.series_count() == 0 || scrapes < 20) {
    EXPECT_NE(reg.render().find("llmgw_requests_total"), std::string::npos);
    ++scrapes;
  }
  ta.join();
  tb.join();
  const std::string t = reg.render();
  EXPECT_TRUE(has_line(
      t, R"(llmgw_requests_total{provider="openai",model="other",code="200"} )" + std::to_string(k_each * 16 / 80)))
      << t;
  EXPECT_TRUE(has_line(t, "llmgw_requests_in_flight 0")) << t;
}

}  // namespace
}  // namespace llmgw::metrics
