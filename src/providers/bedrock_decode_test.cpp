#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/bedrock.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

TEST(bedrock_decode, finish_reasons) {
  EXPECT_EQ(bedrock_finish_reason("end_turn"), "stop");
  EXPECT_EQ(bedrock_finish_reason("stop_sequence"), "stop");
  EXPECT_EQ(bedrock_finish_reason("max_tokens"), "length");
  EXPECT_EQ(bedrock_finish_reason("tool_use"), "tool_calls");
  EXPECT_EQ(bedrock_finish_reason("guardrail_intervened"), "content_filter");
  EXPECT_EQ(bedrock_finish_reason("content_filtered"), "content_filter");
}

TEST(bedrock_decode, usage_counts_cache_reads_and_writes_as_prompt) {
  const auto u = bedrock_usage(json::parse(R"({"inputTokens":10,"outputTokens":5,"cacheReadInputTokens":100,
      "cacheWriteInputTokens":20})")
                                   .as_object());
  EXPECT_EQ(u.prompt_tokens, 130);
  EXPECT_EQ(u.completion_tokens, 5);
  EXPECT_EQ(u.total_tokens, 135);  // derived when Bedrock leaves it out
  EXPECT_EQ(u.cached_tokens, 100);
  EXPECT_EQ(u.cache_creation_tokens, 20);
}

TEST(bedrock_decode, only_tool_use_means_null_content) {
  const auto c = decode_bedrock_converse(R"({"output":{"message":{"role":"assistant","content":[
      {"toolUse":{"toolUseId":"tooluse_1","name":"f","input":{}}}]}},"stopReason":"tool_use",
      "usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}})");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->content);
  ASSERT_EQ(c->tool_calls.size(), 1u);
  EXPECT_EQ(c->tool_calls[0].arguments, "{}");
  EXPECT_EQ(c->finish_reason, "tool_calls");
  EXPECT_EQ(c->usage.total_tokens, 3);
}

TEST(bedrock_decode, undecodable_bodies_are_502) {
  for (std::string_view body : {"not json", "[]", R"({"output":{}})"}) {
    const auto c = decode_bedrock_converse(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().status, 502);
  }
}

TEST(bedrock_decode, error_statuses) {
  struct expected {
    int bedrock;
    int client;
    std::string_view type;
  };
  for (const auto& e :
       {expected{400, 400, "invalid_request_error"}, expected{403, 403, "permission_error"},
        expected{404, 404, "invalid_request_error"}, expected{408, 504, "api_error"}, expected{424, 502, "api_error"},
        expected{429, 429, "rate_limit_error"}, expected{500, 500, "api_error"}, expected{503, 503, "api_error"}}) {
    const auto g = decode_bedrock_error(e.bedrock, R"({"message":"m"})");
    EXPECT_EQ(g.status, e.client) << e.bedrock;
    EXPECT_EQ(g.type, e.type) << e.bedrock;
    EXPECT_TRUE(g.message.ends_with("m")) << e.bedrock;
  }
}

TEST(bedrock_decode, refused_credentials_say_so_without_awss_canonical_request) {
  const auto g = decode_bedrock_error(
      403,
      R"({"message":"The request signature we calculated does not match the signature you provided.\n\n)"
      R"(The Canonical String for this request should have been\n'POST\n/model/m/converse\n\nhost:10.0.0.7:8443\n'"})");
  EXPECT_EQ(g.status, 403);
  EXPECT_EQ(g.message,
            "The upstream provider bedrock rejected the gateway's credentials: The request signature we calculated "
            "does not match the signature you provided.");
}

TEST(bedrock_decode, error_without_a_message_says_the_status) {
  const auto g = decode_bedrock_error(500, "<html>oops</html>");
  EXPECT_EQ(g.message, "The upstream provider bedrock answered with HTTP status 500.");
}

TEST(bedrock_decode, stream_exceptions_keep_their_type_as_code) {
  const auto throttled = bedrock_stream_exception("throttlingException", R"({"message":"slow"})");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.code, "throttlingException");
  EXPECT_EQ(throttled.message, "slow");
  EXPECT_EQ(bedrock_stream_exception("modelStreamErrorException", "{}").status, 502);
  EXPECT_EQ(bedrock_stream_exception("validationException", "{}").status, 400);
  EXPECT_EQ(bedrock_stream_exception("serviceUnavailableException", "{}").status, 503);
  EXPECT_EQ(bedrock_stream_exception("internalServerException", "{}").status, 500);
  EXPECT_EQ(bedrock_stream_exception("somethingNewException", "{}").status, 502);
}

}  // namespace
}  // namespace llmgw::providers
