#include "usage/usage_schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>

namespace llmgw::usage {
namespace {

using namespace std::chrono_literals;

const value& col(const row& r, std::string_view name) {
  const std::size_t c = column_index(name);
  if (c == k_column_count) {
    ADD_FAILURE() << "no column " << name;
    return r[0];
  }
  return r[c];
}

request_record answered_record() {
  request_record r;
  r.ended = std::chrono::system_clock::time_point(1'700'000'000'500ms);
  r.request_id = "req-1";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.client_api = "openai";
  r.key_id = "key_abc";
  r.key_name = "ci";
  r.team = "team-a";
  r.user_id = "user-7";
  r.model = "gpt-main";
  r.provider = "backup";
  r.served_model = "gpt-4o-mini";
  r.status = 200;
  r.stream = true;
  r.latency_ms = 120.5;
  r.ttfb_ms = 40;
  r.attempts.push_back({"openai", "gpt-4o-mini", 503, "upstream error", 1, 10, 30, 5});
  r.attempts.push_back({"backup", "gpt-4o-mini", 200, "", 0, 20, 80, 36});
  r.prompt_tokens = 100;
  r.completion_tokens = 20;
  r.cached_tokens = 60;
  r.cache_write_tokens = 0;
  r.reasoning_tokens = -1;
  r.usage = usage_source::vendor;
  r.cache = cache_status::miss;
  return r;
}

TEST(usage_schema, endpoints_are_the_four_model_endpoints_only) {
  EXPECT_EQ(endpoint_of("/v1/chat/completions"), "chat/completions");
  EXPECT_EQ(endpoint_of("/chat/completions"), "chat/completions");
  EXPECT_EQ(endpoint_of("/v1/embeddings"), "embeddings");
  EXPECT_EQ(endpoint_of("/v1/messages"), "messages");
  EXPECT_EQ(endpoint_of("/v1/messages/count_tokens"), "messages/count_tokens");
  EXPECT_EQ(endpoint_of("/v1/chat/completions?x=1"), "chat/completions");
  for (std::string_view other : {"/health", "/health/ready", "/metrics", "/v1/models", "/v1/models/gpt-4o", "/v1/usage",
                                 "/v1/chat/completions/x", "/v2/chat/completions", "", "chat/completions"}) {
    EXPECT_EQ(endpoint_of(other), "") << other;
  }
}

TEST(usage_schema, derived_times_and_fallback) {
  const request_record r = answered_record();
  EXPECT_EQ(started_at_ms(r), 1'700'000'000'380);  // ended − latency (379.5), rounded
  EXPECT_DOUBLE_EQ(upstream_ms(r), 110);           // 30 + 80
  EXPECT_DOUBLE_EQ(overhead_ms(r), 10.5);
  EXPECT_TRUE(served_by_fallback(r));

  request_record first = r;
  first.attempts.erase(first.attempts.begin());
  EXPECT_FALSE(served_by_fallback(first));
  request_record unanswered = r;
  unanswered.provider.clear();  // both attempts failed
  EXPECT_FALSE(served_by_fallback(unanswered));
  // A hedge: the second attempt began while the first ran; the time both
  // ran counts once, and the one that lost is not a failover.
  request_record hedged = r;
  hedged.hedged = true;
  hedged.attempts[0] = {"openai", "gpt-4o-mini", 200, std::string(k_hedge_lost), 1, 10, 300, 5};
  hedged.attempts[1] = {"backup", "gpt-4o-mini", 200, "", 0, 20, 80, 205};
  EXPECT_DOUBLE_EQ(upstream_ms(hedged), 300);  // [5, 305] and [205, 285]
  EXPECT_FALSE(served_by_fallback(hedged));
  request_record slow_clock = r;
  slow_clock.latency_ms = 100;  // attempts' clocks may sum past the request's
  EXPECT_DOUBLE_EQ(overhead_ms(slow_clock), 0);
}

TEST(usage_schema, a_row_carries_every_column) {
  const request_record r = answered_record();
  row out;
  ASSERT_TRUE(fill_row(r, out));
  EXPECT_EQ(col(out, "request_id").s, "req-1");
  EXPECT_EQ(col(out, "started_at").i, 1'700'000'000'380);
  EXPECT_EQ(col(out, "key_id").s, "key_abc");
  EXPECT_EQ(col(out, "key_name").s, "ci");
  EXPECT_EQ(col(out, "team").s, "team-a");
  EXPECT_EQ(col(out, "endpoint").s, "chat/completions");
  EXPECT_EQ(col(out, "client_api").s, "openai");
  EXPECT_EQ(col(out, "model_requested").s, "gpt-main");
  EXPECT_EQ(col(out, "provider").s, "backup");
  EXPECT_EQ(col(out, "model_served").s, "gpt-4o-mini");
  EXPECT_EQ(col(out, "status").i, 200);
  EXPECT_TRUE(col(out, "error_type").null);
  EXPECT_EQ(col(out, "stream").i, 1);
  EXPECT_EQ(col(out, "cache_status").s, "miss");
  EXPECT_EQ(col(out, "attempts").i, 2);
  EXPECT_EQ(col(out, "fallback").i, 1);
  EXPECT_EQ(col(out, "prompt_tokens").i, 100);
  EXPECT_EQ(col(out, "completion_tokens").i, 20);
  EXPECT_EQ(col(out, "cached_tokens").i, 60);
  EXPECT_FALSE(col(out, "cache_write_tokens").null);
  EXPECT_TRUE(col(out, "reasoning_tokens").null);  // unknown, not 0
  EXPECT_EQ(col(out, "tokens_estimated").i, 0);
  EXPECT_EQ(col(out, "hedged").i, 0);
  EXPECT_TRUE(col(out, "hedge_loser_cost_usd").null);
  for (auto c : {"cost_usd", "cost_input_usd", "cost_cached_input_usd", "cost_cache_write_usd", "cost_output_usd"}) {
    EXPECT_TRUE(col(out, c).null) << c << ": no price is null, never $0";
  }
  EXPECT_DOUBLE_EQ(col(out, "latency_ms").d, 120.5);
  EXPECT_DOUBLE_EQ(col(out, "ttft_ms").d, 40);
  EXPECT_DOUBLE_EQ(col(out, "upstream_ms").d, 110);
  EXPECT_DOUBLE_EQ(col(out, "overhead_ms").d, 10.5);
  EXPECT_EQ(col(out, "user_id").s, "user-7");
}

TEST(usage_schema, costs_errors_estimates_and_rejections) {
  request_record r = answered_record();
  r.cost_known = true;
  r.cost_usd = 0.5;
  r.cost_input_usd = 0.1;
  r.cost_cached_input_usd = 0.05;
  r.cost_cache_write_usd = 0;
  r.cost_output_usd = 0.35;
  r.usage = usage_source::estimated;
  row out;
  ASSERT_TRUE(fill_row(r, out));
  EXPECT_DOUBLE_EQ(col(out, "cost_usd").d, 0.5);
  EXPECT_DOUBLE_EQ(col(out, "cost_cached_input_usd").d, 0.05);
  EXPECT_FALSE(col(out, "cost_cache_write_usd").null);
  EXPECT_DOUBLE_EQ(col(out, "cost_output_usd").d, 0.35);
  EXPECT_EQ(col(out, "tokens_estimated").i, 1);

  request_record rejected;  // a 429 before any vendor call
  rejected.request_id = "req-2";
  rejected.path = "/v1/messages";
  rejected.client_api = "anthropic";
  rejected.status = 429;
  rejected.error = "rate_limit_exceeded";
  rejected.latency_ms = 1;
  ASSERT_TRUE(fill_row(rejected, out));
  EXPECT_EQ(col(out, "endpoint").s, "messages");
  EXPECT_EQ(col(out, "error_type").s, "rate_limit_exceeded");
  EXPECT_EQ(col(out, "attempts").i, 0);
  EXPECT_EQ(col(out, "fallback").i, 0);
  EXPECT_TRUE(col(out, "provider").null);
  EXPECT_TRUE(col(out, "key_name").null);
  EXPECT_TRUE(col(out, "ttft_ms").null);
  EXPECT_TRUE(col(out, "prompt_tokens").null);
  EXPECT_EQ(col(out, "cache_status").s, "none");
  EXPECT_DOUBLE_EQ(col(out, "upstream_ms").d, 0);

  request_record health;
  health.path = "/health";
  EXPECT_FALSE(fill_row(health, out));
}

TEST(usage_schema, migrations_are_ordered_and_the_insert_names_every_column) {
  int last = 0;
  for (const auto& m : migrations()) {
    EXPECT_GT(m.version, last);
    last = m.version;
    EXPECT_FALSE(m.statements.empty());
  }
  EXPECT_GE(last, 1);
  const std::string one = insert_sql(sql_dialect::sqlite, 1);
  for (const auto& c : k_columns) EXPECT_NE(one.find(c.name), std::string::npos) << c.name;
  // Plain `?`, one a column, in order (numbered ones cost SQLite a walk each).
  EXPECT_EQ(std::count(one.begin(), one.end(), '?'), static_cast<std::ptrdiff_t>(k_column_count));
  EXPECT_NE(one.find("(?, ?, "), std::string::npos);
  EXPECT_EQ(one.find("?1"), std::string::npos);
  EXPECT_NE(one.find("ON CONFLICT (id) DO NOTHING"), std::string::npos);
  const std::string two = insert_sql(sql_dialect::postgres, 2);
  EXPECT_NE(two.find("($1, $2,"), std::string::npos);
  EXPECT_NE(two.find("$72)"), std::string::npos);
  EXPECT_NE(two.find("ON CONFLICT (started_at, request_id) DO NOTHING"), std::string::npos);
  EXPECT_EQ(two.find('?'), std::string::npos);
}

}  // namespace
}  // namespace llmgw::usage
