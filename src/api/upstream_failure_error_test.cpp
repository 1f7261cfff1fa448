#include "api/upstream_failure_error.hpp"

#include <gtest/gtest.h>

namespace llmgw::api {
namespace {

using http::upstream_failure;

config limits() {
  config cfg;
  cfg.server.max_buffer_bytes = 100'000'000;
  cfg.upstream.total_timeout = std::chrono::milliseconds(1500);
  cfg.upstream.max_response_bytes = 64 * 1024 * 1024;
  return cfg;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(upstream_failure_error, the_total_timeout_is_a_504_naming_its_setting) {
  const auto e = upstream_failure_error(upstream_failure::total_timeout, "openai", limits());
  EXPECT_EQ(e.status, 504);
  EXPECT_EQ(e.code, "upstream_timeout");
  EXPECT_TRUE(contains(e.message, "openai")) << e.message;
  EXPECT_TRUE(contains(e.message, "total timeout")) << e.message;
  EXPECT_TRUE(contains(e.message, "upstream.total_timeout_ms, 1500 ms")) << e.message;
}

TEST(upstream_failure_error, the_step_timeouts_stay_504) {
  for (auto f :
       {upstream_failure::connect_timeout, upstream_failure::first_byte_timeout, upstream_failure::idle_timeout}) {
    const auto e = upstream_failure_error(f, "openai", limits());
    EXPECT_EQ(e.status, 504);
    EXPECT_EQ(e.code, "upstream_timeout");
    EXPECT_FALSE(contains(e.message, "total_timeout_ms")) << e.message;
  }
}

TEST(upstream_failure_error, the_memory_limit_is_a_503_of_the_gateway) {
  const auto e = upstream_failure_error(upstream_failure::over_budget, "openai", limits());
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.code, "gateway_memory_limit");
  EXPECT_TRUE(contains(e.message, "server.max_buffer_bytes, 100000000 bytes per worker")) << e.message;
  EXPECT_FALSE(contains(e.message, "openai")) << "not the vendor's failure: " << e.message;
}

TEST(upstream_failure_error, too_large_is_a_502_naming_the_cap) {
  const auto e = upstream_failure_error(upstream_failure::too_large, "openai", limits());
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.code, "upstream_unavailable");
  EXPECT_TRUE(contains(e.message, "upstream.max_response_bytes, 67108864 bytes")) << e.message;
}

TEST(upstream_failure_error, connection_failures_are_502) {
  for (auto f :
       {upstream_failure::connect, upstream_failure::tls, upstream_failure::reset, upstream_failure::protocol}) {
    const auto e = upstream_failure_error(f, "groq", limits());
    EXPECT_EQ(e.status, 502);
    EXPECT_TRUE(contains(e.message, "Upstream provider groq: ")) << e.message;
  }
}

TEST(upstream_failure_error, neither_new_failure_is_retried_elsewhere) {
  // The deadline bounds the client's wait, the budget is this worker's
  // state: another deployment would not help either.
  const http::exchange_progress sent{.reused = false, .request_sent = true, .response_started = false};
  EXPECT_FALSE(http::is_retryable(upstream_failure::total_timeout, sent));
  EXPECT_FALSE(http::is_retryable(upstream_failure::over_budget, sent));
  EXPECT_TRUE(http::is_retryable(upstream_failure::first_byte_timeout, sent));
}

}  // namespace
}  // namespace llmgw::api
