#include "mock/mock_script.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace llmgw::mock {
namespace {

TEST(mock_script, no_marker_changes_nothing) {
  mock_script s;
  EXPECT_EQ(apply_markers("Hello there, [not a marker] and [mock without colon]", s), 0);
  EXPECT_EQ(s, mock_script{});
}

TEST(mock_script, reads_every_key) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:status=429] [mock:latency_ms=250][mock:tokens=40] [mock:tps=12.5] "
                          "[mock:reset_after=3] [mock:hang] [mock:hang_after=7] [mock:echo] [mock:tool]",
                          s),
            9);
  EXPECT_EQ(s.status, 429);
  EXPECT_EQ(s.latency_ms, 250u);
  EXPECT_EQ(s.tokens, 40u);
  EXPECT_DOUBLE_EQ(s.tps, 12.5);
  EXPECT_EQ(s.reset_after, 3u);
  EXPECT_TRUE(s.hang);
  EXPECT_EQ(s.hang_after, 7u);
  EXPECT_TRUE(s.echo);
  EXPECT_TRUE(s.tool);
  EXPECT_TRUE(s.tool_name.empty());
}

TEST(mock_script, retry_after_is_a_whole_number_of_seconds) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:status=429,retry_after=2]", s), 2);
  EXPECT_EQ(s.retry_after, 2u);
  EXPECT_EQ(apply_markers("[mock:retry_after=soon]", s), 0);
  EXPECT_EQ(s.retry_after, 2u);
}

TEST(mock_script, comma_separated_settings_in_one_marker) {
  mock_script s;
  EXPECT_EQ(apply_markers("go [mock:tokens=5, tps=100,echo] now", s), 3);
  EXPECT_EQ(s.tokens, 5u);
  EXPECT_DOUBLE_EQ(s.tps, 100);
  EXPECT_TRUE(s.echo);
}

TEST(mock_script, later_markers_win_and_bad_values_are_ignored) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:status=500][mock:status=503][mock:status=abc][mock:status=42][mock:bogus=1]", s), 2);
  EXPECT_EQ(s.status, 503);
  EXPECT_EQ(apply_markers("[mock:tokens=-1][mock:tps=fast][mock:latency_ms=]", s), 0);
  EXPECT_FALSE(s.tokens);
  EXPECT_EQ(s.tps, 0);
}

TEST(mock_script, named_tool_and_switching_flags_off) {
  mock_script s;
  apply_markers("[mock:tool=get_weather]", s);
  EXPECT_TRUE(s.tool);
  EXPECT_EQ(s.tool_name, "get_weather");
  apply_markers("[mock:tool=false][mock:echo=0]", s);
  EXPECT_FALSE(s.tool);
  EXPECT_TRUE(s.tool_name.empty());
  EXPECT_FALSE(s.echo);
}

TEST(mock_script, leak_flag) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:status=401,leak]", s), 2);
  EXPECT_TRUE(s.leak);
  EXPECT_TRUE(apply_header("x-mock-leak", "0", s));
  EXPECT_FALSE(s.leak);
}

TEST(mock_script, digest_flag) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:digest]", s), 1);
  EXPECT_TRUE(s.digest);
  EXPECT_FALSE(s.echo);
  EXPECT_TRUE(apply_header("x-mock-digest", "false", s));
  EXPECT_FALSE(s.digest);
}

TEST(mock_script, works_on_raw_json_text) {
  mock_script s;
  EXPECT_EQ(apply_markers(R"("Say hi \"now\" [mock:tokens=3]\n")", s), 1);
  EXPECT_EQ(s.tokens, 3u);
}

TEST(mock_script, unterminated_marker_is_ignored) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:status=500", s), 0);
  EXPECT_EQ(s.status, 0);
}

TEST(mock_script, headers) {
  mock_script s;
  EXPECT_TRUE(is_mock_header("X-Mock-Status"));
  EXPECT_FALSE(is_mock_header("x-mock-"));
  EXPECT_FALSE(is_mock_header("x-request-id"));
  EXPECT_TRUE(apply_header("X-Mock-Status", "502", s));
  EXPECT_TRUE(apply_header("x-mock-latency-ms", " 20 ", s));
  EXPECT_TRUE(apply_header("X-MOCK-HANG-AFTER", "4", s));
  EXPECT_TRUE(apply_header("x-mock-echo", "1", s));
  EXPECT_TRUE(apply_header("x-mock-hang", "", s));
  EXPECT_FALSE(apply_header("x-mock-unknown", "1", s));
  EXPECT_FALSE(apply_header("authorization", "Bearer x", s));
  EXPECT_FALSE(apply_header("x-mock-a-very-long-header-name-that-is-not-a-key", "1", s));
  EXPECT_EQ(s.status, 502);
  EXPECT_EQ(s.latency_ms, 20u);
  EXPECT_EQ(s.hang_after, 4u);
  EXPECT_TRUE(s.echo);
  EXPECT_TRUE(s.hang);
}

TEST(mock_script, markers_override_headers_override_defaults) {
  mock_script s;
  s.tokens = 10;  // server default
  apply_header("x-mock-tokens", "20", s);
  EXPECT_EQ(s.tokens, 20u);
  apply_markers("[mock:tokens=30]", s);
  EXPECT_EQ(s.tokens, 30u);
}

}  // namespace
}  // namespace llmgw::mock

namespace llmgw::mock {
namespace {

TEST(mock_script, usage_markers_set_prompt_and_cache_counts) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:prompt_tokens=2000,cached_tokens=1500,cache_write_tokens=300]", s), 3);
  EXPECT_EQ(s.prompt_tokens, 2000u);
  EXPECT_EQ(s.cached_tokens, 1500u);
  EXPECT_EQ(s.cache_write_tokens, 300u);
  mock_script t;
  EXPECT_EQ(apply_markers("[mock:cached_tokens=x,prompt_tokens=-2]", t), 0);
  EXPECT_EQ(t, mock_script{});
}

}  // namespace
}  // namespace llmgw::mock

namespace llmgw::mock {
namespace {

TEST(mock_script, slow_tail_settings) {
  mock_script s;
  EXPECT_EQ(apply_markers("[mock:latency_ms=20,slow_ratio=0.05,slow_ms=2000]", s), 3);
  EXPECT_EQ(s.latency_ms, 20u);
  EXPECT_DOUBLE_EQ(s.slow_ratio, 0.05);
  EXPECT_EQ(s.slow_ms, 2000u);
  EXPECT_TRUE(apply_header("x-mock-slow-ratio", "1", s));
  EXPECT_DOUBLE_EQ(s.slow_ratio, 1);
  // A share is between 0 and 1; a bad value changes nothing.
  EXPECT_EQ(apply_markers("[mock:slow_ratio=1.5][mock:slow_ratio=-0.1][mock:slow_ratio=nan][mock:slow_ms=2s]", s), 0);
  EXPECT_DOUBLE_EQ(s.slow_ratio, 1);
  EXPECT_EQ(s.slow_ms, 2000u);
}

TEST(mock_script, slow_turns_are_exactly_the_ratio_and_evenly_spread) {
  std::vector<std::uint64_t> slow;
  for (std::uint64_t n = 0; n < 1000; ++n) {
    if (is_slow_turn(n, 0.05)) slow.push_back(n);
  }
  ASSERT_EQ(slow.size(), 50u);
  for (std::size_t i = 0; i < slow.size(); ++i) EXPECT_EQ(slow[i], 20 * i + 19) << i;

  int count = 0;
  for (std::uint64_t n = 0; n < 10; ++n) count += is_slow_turn(n, 0.3) ? 1 : 0;
  EXPECT_EQ(count, 3);
  EXPECT_FALSE(is_slow_turn(0, 0.3));
  EXPECT_FALSE(is_slow_turn(1, 0.3));
  EXPECT_FALSE(is_slow_turn(2, 0.3));
  EXPECT_TRUE(is_slow_turn(3, 0.3));

  for (std::uint64_t n : {0ull, 1ull, 999'999ull, 1'000'000ull, ~0ull}) {
    EXPECT_FALSE(is_slow_turn(n, 0)) << n;
    EXPECT_TRUE(is_slow_turn(n, 1)) << n;
  }
  // Far into a long run the share holds.
  count = 0;
  for (std::uint64_t n = 5'000'000'000ull; n < 5'000'000'000ull + 1000; ++n) count += is_slow_turn(n, 0.05) ? 1 : 0;
  EXPECT_EQ(count, 50);
}

}  // namespace
}  // namespace llmgw::mock
