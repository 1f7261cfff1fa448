#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace llmgw::metrics {
namespace {

TEST(exposition, family_and_samples) {
  exposition x;
  x.family("llmgw_requests_total", "counter", "Requests.\nBy code, with a \\ too.");
  x.sample("llmgw_requests_total", {{"provider", "openai"}, {"code", "200"}}, std::uint64_t{12});
  x.sample("llmgw_requests_total", {}, std::uint64_t{3});
  x.sample("llmgw_cost_usd_total", {{"model", "gpt-4o"}}, 0.125);
  EXPECT_EQ(x.text(),
            "# HELP llmgw_requests_total Requests.\\nBy code, with a \\\\ too.\n"
            "# TYPE llmgw_requests_total counter\n"
            "llmgw_requests_total{provider=\"openai\",code=\"200\"} 12\n"
            "llmgw_requests_total 3\n"
            "llmgw_cost_usd_total{model=\"gpt-4o\"} 0.125\n");
}

TEST(exposition, label_values_are_escaped) {
  std::string out;
  append_label_value(out, "a\"b\\c\nd");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
  exposition x;
  x.sample("m", {{"model", "x\"}"}}, std::uint64_t{1});
  EXPECT_EQ(x.text(), "m{model=\"x\\\"}\"} 1\n");
}

TEST(exposition, numbers) {
  auto num = [](double v) {
    std::string s;
    append_number(s, v);
    return s;
  };
  EXPECT_EQ(num(0), "0");
  EXPECT_EQ(num(2), "2");
  EXPECT_EQ(num(0.01), "0.01");
  EXPECT_EQ(num(81.92), "81.92");
  EXPECT_EQ(num(67108864), "67108864");
  EXPECT_EQ(num(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(num(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(num(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(exposition, histogram_buckets_are_cumulative_with_inf_sum_and_count) {
  exposition x;
  const std::array<double, 3> bounds = {0.1, 1, 10};
  const std::array<std::uint64_t, 4> buckets = {2, 0, 3, 1};  // per bucket, +Inf last
  x.histogram("d_seconds", {{"p", "a"}}, bounds, buckets, 17.5);
  EXPECT_EQ(x.text(),
            "d_seconds_bucket{p=\"a\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{p=\"a\",le=\"1\"} 2\n"
            "d_seconds_bucket{p=\"a\",le=\"10\"} 5\n"
            "d_seconds_bucket{p=\"a\",le=\"+Inf\"} 6\n"
            "d_seconds_sum{p=\"a\"} 17.5\n"
            "d_seconds_count{p=\"a\"} 6\n");
}

TEST(exposition, content_type_is_the_0_0_4_text_format) {
  EXPECT_EQ(k_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace llmgw::metrics
