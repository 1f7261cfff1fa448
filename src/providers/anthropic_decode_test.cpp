#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/anthropic.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

TEST(AnthropicDecode, FillsTheCallersUsage) {
  token_usage usage;
  auto r = anthropic_provider().decode_chat(
      R"({"type":"message","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",
          "usage":{"input_tokens":3,"output_tokens":2,"cache_read_input_tokens":10,"cache_creation_input_tokens":5}})",
      "my-model", &usage);
  ASSERT_TRUE(r);
  EXPECT_EQ(usage.prompt_tokens, 18);
  EXPECT_EQ(usage.completion_tokens, 2);
  EXPECT_EQ(usage.total_tokens, 20);
  EXPECT_EQ(usage.cached_tokens, 10);
  EXPECT_EQ(usage.cache_creation_tokens, 5);
  const auto doc = json::parse(*r);
  EXPECT_EQ(doc.at("model"), "my-model");
  EXPECT_TRUE(doc.at("id").as_string().starts_with("chatcmpl-"));
}

TEST(AnthropicDecode, BodiesThatAreNotMessagesAre502) {
  for (std::string_view body : {"", "not json", "[]", R"({"type":"message"})", R"({"content":"text"})"}) {
    auto r = anthropic_provider().decode_chat(body, "m", nullptr);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().status, 502) << body;
  }
}

TEST(AnthropicDecode, AnswerToolWinsOverSurroundingText) {
  auto c = decode_anthropic_message(R"({"content":[{"type":"text","text":"Here you go:"},
      {"type":"tool_use","id":"t","name":"llmgw_json_x","input":{"a":[1,2]}}],"stop_reason":"tool_use"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->content, R"({"a":[1,2]})");
  EXPECT_TRUE(c->tool_calls.empty());
  EXPECT_EQ(c->finish_reason, "stop");
}

TEST(AnthropicDecode, StopReasons) {
  EXPECT_EQ(openai_finish_reason_for("end_turn", true), "stop");
  EXPECT_EQ(openai_finish_reason_for("stop_sequence", true), "stop");
  EXPECT_EQ(openai_finish_reason_for("pause_turn", true), "stop");
  EXPECT_EQ(openai_finish_reason_for("max_tokens", false), "length");
  EXPECT_EQ(openai_finish_reason_for("tool_use", false), "tool_calls");
  EXPECT_EQ(openai_finish_reason_for("tool_use", true), "stop");
  EXPECT_EQ(openai_finish_reason_for("refusal", true), "content_filter");
}

TEST(AnthropicErrors, TypesMapToAnthropicsStatuses) {
  EXPECT_EQ(anthropic_status_for_error_type("invalid_request_error"), 400);
  EXPECT_EQ(anthropic_status_for_error_type("authentication_error"), 401);
  EXPECT_EQ(anthropic_status_for_error_type("permission_error"), 403);
  EXPECT_EQ(anthropic_status_for_error_type("not_found_error"), 404);
  EXPECT_EQ(anthropic_status_for_error_type("request_too_large"), 413);
  EXPECT_EQ(anthropic_status_for_error_type("rate_limit_error"), 429);
  EXPECT_EQ(anthropic_status_for_error_type("api_error"), 500);
  EXPECT_EQ(anthropic_status_for_error_type("overloaded_error"), 529);
  EXPECT_EQ(anthropic_status_for_error_type("something_new"), 500);
}

TEST(AnthropicErrors, KeysInMessagesAreRedacted) {
  const auto e = decode_anthropic_error(
      401,
      R"({"type":"error","error":{"type":"authentication_error","message":"bad key sk-ant-api03-SECRETSECRET, check it"}})");
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.message.find("SECRET"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("[redacted]"), std::string::npos) << e.message;
}

TEST(AnthropicErrors, OverloadedBecomes503) {
  const auto e = anthropic_provider().decode_error(
      529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.type, "api_error");
  EXPECT_EQ(e.code, "overloaded_error");
  EXPECT_EQ(e.message, "Overloaded");
}

}  // namespace
}  // namespace llmgw::providers
