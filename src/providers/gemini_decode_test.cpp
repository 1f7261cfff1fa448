// What the golden fixtures (tests/fixtures/gemini/decode_*, error_*) leave
// out: retry-after, key scrubbing, odd error shapes, tool call ids.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/gemini.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

TEST(GeminiError, RetryInfoBecomesRetryAfterRoundedUp) {
  auto e =
      gemini_provider().decode_error(429, R"({"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED",
    "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.2s"}]}})");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.retry_after, "2");
  auto none =
      gemini_provider().decode_error(429, R"({"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED"}})");
  EXPECT_EQ(none.retry_after, "");
  auto bad = gemini_provider().decode_error(429, R"({"error":{"code":429,"details":[
    {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-3s"}]}})");
  EXPECT_EQ(bad.retry_after, "");
}

TEST(GeminiError, GoogleKeysAreNeverPassedOn) {
  auto e = gemini_provider().decode_error(
      400,
      R"({"error":{"code":400,"message":"Bad key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q in ?key=secret-value&x=1","status":"INVALID_ARGUMENT"}})");
  EXPECT_EQ(e.message.find("AIzaSy"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("secret-value"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("[redacted]"), std::string::npos);
}

TEST(GeminiError, UnauthenticatedIs401AndArrayWrappedBodiesAreRead) {
  auto e = gemini_provider().decode_error(
      401,
      R"([{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}])");
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.type, "authentication_error");
  EXPECT_EQ(e.code, "invalid_api_key");
  EXPECT_NE(e.message.find("invalid authentication credentials"), std::string::npos);
}

TEST(GeminiError, EmptyBodyKeepsTheStatus) {
  auto e = gemini_provider().decode_error(503, "");
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.type, "api_error");
  EXPECT_FALSE(e.message.empty());
}

TEST(GeminiDecode, ErrorObjectIn2xxBodyIsAnError) {
  auto r =
      gemini_provider().decode_chat(R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})", "m", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 500);
  EXPECT_EQ(r.error().message, "boom");
}

TEST(GeminiDecode, NotJsonIs502) {
  auto r = gemini_provider().decode_chat("<html>", "m", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 502);
}

TEST(GeminiDecode, ReportsUsageAndRandomIdsWithoutResponseId) {
  const std::string body = R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}}}],
    "role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,
    "thoughtsTokenCount":5,"toolUsePromptTokenCount":2,"totalTokenCount":14}})";
  token_usage u;
  auto a = gemini_provider().decode_chat(body, "m", &u);
  auto b = gemini_provider().decode_chat(body, "m", nullptr);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(u, (token_usage{5, 9, 14, 0, 0, 5}));  // thinking is reasoning, within completion
  auto id_of = [](const std::string& s) {
    return std::string(json::parse(s).at("choices").at(0).at("message").at("tool_calls").at(0).at("id").as_string());
  };
  EXPECT_TRUE(id_of(*a).starts_with("call_"));
  EXPECT_NE(id_of(*a), id_of(*b));
}

TEST(GeminiDecode, CallIdsAreStablePerSeedAndDistinctPerCall) {
  EXPECT_EQ(gemini::call_id("r1", 0), gemini::call_id("r1", 0));
  EXPECT_NE(gemini::call_id("r1", 0), gemini::call_id("r1", 1));
  EXPECT_NE(gemini::call_id("r1", 0), gemini::call_id("r2", 0));
  EXPECT_EQ(gemini::call_id("r1", 0).size(), 5u + 16u);
}

TEST(GeminiDecode, FinishReasons) {
  EXPECT_EQ(gemini::openai_finish_reason("STOP", false), "stop");
  EXPECT_EQ(gemini::openai_finish_reason("STOP", true), "tool_calls");
  EXPECT_EQ(gemini::openai_finish_reason("MAX_TOKENS", true), "length");
  for (auto r : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"})
    EXPECT_EQ(gemini::openai_finish_reason(r, false), "content_filter") << r;
  EXPECT_EQ(gemini::openai_finish_reason("MALFORMED_FUNCTION_CALL", false), "stop");
  EXPECT_EQ(gemini::openai_finish_reason("OTHER", false), "stop");
}

TEST(GeminiEmbeddings, MissingValuesIs502) {
  auto r = gemini_provider().decode_embeddings(R"({"embeddings":[{"vals":[1]}]})", "m", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 502);
  auto empty = gemini_provider().decode_embeddings(R"({"embeddings":[]})", "m", nullptr);
  ASSERT_TRUE(empty);
  EXPECT_EQ(json::parse(*empty).at("data").as_array().size(), 0u);
}

}  // namespace
}  // namespace llmgw::providers
