// One negative test per rule of bedrock_rules.cpp (where AWS documents each
// is cited beside the rule), and requests the real API accepts, which must
// pass.
#include "mock/bedrock_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock/dialect.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

std::string violation(std::string_view body, std::string_view model = "anthropic.claude-3-haiku-20240307-v1:0") {
  return bedrock_rule_violation(body, model).value_or("");
}

constexpr std::string_view k_tool_round_trip = R"({"messages":[
    {"role":"user","content":[{"text":"weather?"}]},
    {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_a","name":"w","input":{}}},
                                   {"toolUse":{"toolUseId":"tooluse_b","name":"w","input":{}}}]},
    {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_b","content":[{"text":"rain"}]}},
                              {"toolResult":{"toolUseId":"tooluse_a","content":[{"text":"sun"}]}}]}],
    "toolConfig":{"tools":[{"toolSpec":{"name":"w","inputSchema":{"json":{"type":"object"}}}}]}})";

TEST(BedrockRules, RequestsTheApiAcceptsPass) {
  EXPECT_FALSE(bedrock_rule_violation(k_tool_round_trip, "m"));
  EXPECT_FALSE(bedrock_rule_violation(
      R"({"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"}]},
          {"role":"user","content":[{"text":"c"}]}],"system":[{"text":"s"}],"inferenceConfig":{"maxTokens":5}})",
      "m"));
  // Both samplers, to a model that takes both.
  EXPECT_FALSE(bedrock_rule_violation(
      R"({"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"temperature":0.5,"topP":0.9}})",
      "anthropic.claude-3-7-sonnet-20250219-v1:0"));
  EXPECT_FALSE(bedrock_rule_violation("not json", "m"));
}

TEST(BedrockRules, RolesAreUserOrAssistant) {
  EXPECT_EQ(violation(R"({"messages":[{"role":"system","content":[{"text":"a"}]}]})"),
            "1 validation error detected: Value 'system' at 'messages.1.member.role' failed to satisfy constraint: "
            "Member must satisfy enum value set: [user, assistant]");
}

TEST(BedrockRules, TurnsAlternate) {
  EXPECT_EQ(
      violation(R"({"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]})"),
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
      "between user and assistant roles and try again.");
}

TEST(BedrockRules, ToolResultsNeedAMatchingToolUse) {
  // More results than tool uses: a result answers nothing.
  EXPECT_EQ(violation(R"({"messages":[{"role":"user","content":[{"text":"a"}]},
                {"role":"assistant","content":[{"text":"b"}]},
                {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_x","content":[{"text":"r"}]}}]}],
                "toolConfig":{"tools":[]}})"),
            "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous "
            "turn.");
  // As many, but one id mangled: its tool use stays unanswered.
  std::string mangled(k_tool_round_trip);
  mangled.replace(mangled.find(R"("toolUseId":"tooluse_a","content")"), 23, R"("toolUseId":"tooluse_z")");
  EXPECT_EQ(violation(mangled), "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a");
}

TEST(BedrockRules, ToolBlocksNeedAToolConfig) {
  std::string body(k_tool_round_trip);
  body.erase(body.find(R"(,
    "toolConfig")"));
  body.append("}");
  EXPECT_EQ(violation(body), "The toolConfig field must be defined when using toolUse and toolResult content blocks.");
}

TEST(BedrockRules, TemperatureAndTopPTogetherOnClaudeModelsThatRefuseBoth) {
  for (std::string_view model :
       {"anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "global.anthropic.claude-opus-4-1-20250805-v1:0"}) {
    EXPECT_EQ(violation(R"({"messages":[{"role":"user","content":[{"text":"a"}]}],
                            "inferenceConfig":{"temperature":0.5,"topP":0.9}})",
                        model),
              "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this "
              "model. Please use only one.")
        << model;
  }
}

TEST(BedrockRules, ForcingAToolIsForTheModelsThatSupportIt) {
  constexpr std::string_view forced = R"({"messages":[{"role":"user","content":[{"text":"a"}]}],
      "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"f"}}}})";
  EXPECT_EQ(
      violation(forced, "meta.llama3-70b-instruct-v1:0"),
      "This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try "
      "again.");
  EXPECT_EQ(violation(forced, "us.anthropic.claude-3-5-haiku-20241022-v1:0"), "");
  EXPECT_EQ(violation(forced, "amazon.nova-lite-v1:0"), "");
  std::string any(forced);
  any.replace(any.find(R"("tool":{"name":"f"})"), 19, R"("any":{})");
  EXPECT_EQ(violation(any, "amazon.nova-pro-v1:0"),
            "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try "
            "again.");
  EXPECT_EQ(violation(any, "mistral.mistral-large-2407-v1:0"), "");
}

TEST(BedrockRules, TheDialectAnswersWithAValidationException) {
  std::string body =
      R"({"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]})";
  chat_request_info info;
  const auto e = bedrock_dialect().read_chat(body, "anthropic.claude-3-haiku-20240307-v1%3A0", false, info);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_TRUE(json::parse(e->body).at("message").as_string().starts_with("A conversation must alternate"));
  ASSERT_EQ(e->headers.size(), 1u);
  EXPECT_EQ(e->headers[0], (std::pair<std::string, std::string>{"x-amzn-errortype", "ValidationException"}));
}

}  // namespace
}  // namespace llmgw::mock
