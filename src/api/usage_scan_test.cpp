#include "api/usage_scan.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::api {
namespace {

TEST(usage_scan, full_response) {
  const std::string json = R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,)"
                           R"("message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],)"
                           R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,)"
                           R"("prompt_tokens_details":{"cached_tokens":8,"audio_tokens":0},)"
                           R"("completion_tokens_details":{"reasoning_tokens":0}}})";
  const auto usage = scan_usage(json);
  ASSERT_TRUE(usage);
  EXPECT_EQ(*usage, (token_usage{12, 3, 15, 8}));
}

TEST(usage_scan, reasoning_tokens_from_completion_details) {
  const auto usage = scan_usage(R"({"usage":{"prompt_tokens":10,"completion_tokens":90,"total_tokens":100,)"
                                R"("completion_tokens_details":{"audio_tokens":0,"reasoning_tokens":64},)"
                                R"("prompt_tokens_details":{"reasoning_tokens":7,"cached_tokens":2}}})");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->reasoning_tokens, 64);  // not the prompt details' field of the same name
  EXPECT_EQ(usage->cached_tokens, 2);
}

TEST(usage_scan, total_is_computed_when_missing) {
  const auto usage = scan_usage(R"({"usage": {"prompt_tokens": 5, "completion_tokens": 7}})");
  ASSERT_TRUE(usage);
  EXPECT_EQ(*usage, (token_usage{5, 7, 12, 0}));
}

TEST(usage_scan, embeddings_usage) {
  const auto usage =
      scan_usage(R"({"object":"list","data":[],"model":"m","usage":{"prompt_tokens":8,"total_tokens":8}})");
  ASSERT_TRUE(usage);
  EXPECT_EQ(*usage, (token_usage{8, 0, 8, 0}));
}

TEST(usage_scan, no_usage) {
  EXPECT_FALSE(scan_usage(R"({"id":"x","choices":[{"delta":{"content":"usage"}}]})"));
  EXPECT_FALSE(scan_usage(R"({"id":"x","usage":null})"));
  EXPECT_FALSE(scan_usage(R"({"id":"x","usage" : 5})"));
  EXPECT_FALSE(scan_usage(""));
  EXPECT_FALSE(scan_usage("[DONE]"));
  EXPECT_FALSE(scan_usage("not json \"usage\":{"));
}

TEST(usage_scan, usage_text_inside_a_string_is_not_usage) {
  // The quotes of "usage" inside content are escaped, so the fast path skips it.
  EXPECT_FALSE(scan_usage(R"({"choices":[{"delta":{"content":"say \"usage\":{ now"}}]})"));
  // A nested "usage" key is not the response's usage.
  EXPECT_FALSE(scan_usage(R"({"meta":{"usage":{"prompt_tokens":1}}})"));
}

TEST(usage_scan, whitespace_and_odd_values) {
  const auto usage = scan_usage(
      "{ \"usage\" :\n { \"prompt_tokens\" : 1 , \"completion_tokens\" : -4, \"total_tokens\": \"x\","
      " \"prompt_tokens_details\": null } }");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 1);
  EXPECT_EQ(usage->completion_tokens, 0);  // negative is nonsense: counted as 0
  EXPECT_EQ(usage->total_tokens, 1);       // a total that is not a count is computed instead
}

TEST(usage_scan, stream_chunk_with_usage) {
  const auto usage = scan_usage(R"({"id":"c","object":"chat.completion.chunk","choices":[],)"
                                R"("usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->total_tokens, 11);
}

TEST(usage_scan, truncated_json_after_usage_still_reports_nothing_wrong) {
  EXPECT_FALSE(scan_usage(R"({"usage":{"prompt_tokens":1,)"));
}

TEST(usage_scan, large_input_reuses_the_buffer) {
  std::string big = R"({"choices":[{"message":{"content":")" + std::string(3 << 20, 'a') +
                    R"("}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
  ASSERT_TRUE(scan_usage(big));
  EXPECT_EQ(scan_usage(R"({"usage":{"prompt_tokens":4}})")->prompt_tokens, 4);
}

TEST(is_usage_only_chunk, openai_final_usage_chunk) {
  EXPECT_TRUE(
      is_usage_only_chunk(R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
                          R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})"));
  EXPECT_TRUE(is_usage_only_chunk(R"({"usage":{"prompt_tokens":1},"choices":[ ]})"));
}

TEST(is_usage_only_chunk, other_chunks) {
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[{"delta":{"content":"x"}}],"usage":null})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[{"delta":{}}],"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[],"usage":null})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":[]})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(is_usage_only_chunk(R"({"choices":{},"usage":{}})"));
  EXPECT_FALSE(is_usage_only_chunk("[DONE]"));
  EXPECT_FALSE(is_usage_only_chunk(""));
}

}  // namespace
// The stream relay's filter: only a "usage" key whose value is an object gets
// to the parser; every chunk of a stream that asked for usage carries a null.
TEST(usage_scan, mentions_usage_object_only_for_an_object_value) {
  EXPECT_FALSE(mentions_usage_object(R"({"choices":[],"usage":null})"));
  EXPECT_FALSE(mentions_usage_object(R"({"choices":[{"delta":{"content":"usage"}}]})"));
  EXPECT_FALSE(mentions_usage_object(R"({"usage")"));
  EXPECT_TRUE(mentions_usage_object(R"({"usage" : {"prompt_tokens":1}})"));
  EXPECT_TRUE(mentions_usage_object("{\"usage\":\n\t{}}"));
  // A first "usage" that is not the key of an object does not hide a later one.
  EXPECT_TRUE(mentions_usage_object(R"({"x":{"usage":null},"usage":{"total_tokens":3}})"));
}

}  // namespace llmgw::api
