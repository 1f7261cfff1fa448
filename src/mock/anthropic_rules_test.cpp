// One negative test per rule of anthropic_rules.cpp (where Anthropic
// documents each is cited beside the rule), and requests the real API
// accepts, which must pass.
#include "mock/anthropic_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock/dialect.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

std::string violation(std::string_view body) { return anthropic_rule_violation(body).value_or(""); }

constexpr std::string_view k_tool_round_trip = R"({"model":"claude-sonnet-4-5","max_tokens":100,"messages":[
    {"role":"user","content":"weather?"},
    {"role":"assistant","content":[{"type":"text","text":"Let me look."},
        {"type":"tool_use","id":"toolu_a","name":"w","input":{}},{"type":"tool_use","id":"toolu_b","name":"w","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_b","content":"rain"},
        {"type":"tool_result","tool_use_id":"toolu_a","content":"sun"},{"type":"text","text":"and then?"}]}]})";

TEST(AnthropicRules, RequestsTheApiAcceptsPass) {
  EXPECT_FALSE(anthropic_rule_violation(k_tool_round_trip));
  // One sampler at a time, a null one, both on a model that takes both.
  EXPECT_FALSE(anthropic_rule_violation(
      R"({"model":"claude-sonnet-4-5","max_tokens":64000,"temperature":0.2,"messages":[{"role":"user","content":"x"}]})"));
  EXPECT_FALSE(anthropic_rule_violation(
      R"({"model":"claude-sonnet-4-5","max_tokens":5,"temperature":0.2,"top_p":null,"messages":[{"role":"user","content":"x"}]})"));
  EXPECT_FALSE(anthropic_rule_violation(
      R"({"model":"claude-3-7-sonnet-20250219","max_tokens":5,"temperature":0.2,"top_p":0.9,"messages":[{"role":"user","content":"x"}]})"));
  // Every documented top-level field; a model whose limit the mock does not know.
  EXPECT_FALSE(anthropic_rule_violation(
      R"({"model":"claude-next","max_tokens":999999,"system":"s","metadata":{},"stop_sequences":[],"stream":true,
          "top_k":5,"tools":[],"tool_choice":{"type":"auto"},"thinking":{"type":"disabled"},"service_tier":"auto",
          "messages":[{"role":"user","content":"x"},{"role":"assistant","content":"prefill"}]})"));
  // Not an object: the dialect's reader answers for it.
  EXPECT_FALSE(anthropic_rule_violation("{oops"));
}

TEST(AnthropicRules, UnknownTopLevelFieldsAreExtraInputs) {
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"stop":["a"]})"),
            "stop: Extra inputs are not permitted");
}

TEST(AnthropicRules, MessagesMayNotBeEmpty) {
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[]})"), "messages: at least one message is required");
}

TEST(AnthropicRules, RolesAreUserOrAssistant) {
  EXPECT_EQ(
      violation(
          R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"system","content":"y"}]})"),
      "messages.1.role: Input should be 'user' or 'assistant'");
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[{"content":"x"}]})"),
            "messages.0.role: Input should be 'user' or 'assistant'");
}

TEST(AnthropicRules, ToolResultsAnswerTheToolUsesJustBefore) {
  std::string mangled(k_tool_round_trip);
  mangled.replace(mangled.find(R"("tool_use_id":"toolu_a")"), 23, R"("tool_use_id":"toolu_x")");
  EXPECT_EQ(violation(mangled),
            "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x. Each `tool_result` "
            "block must have a corresponding `tool_use` block in the previous message.");
  // A result with no tool use before it at all.
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]}]})"),
            "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1. Each "
            "`tool_result` block must have a corresponding `tool_use` block in the previous message.");
}

TEST(AnthropicRules, ToolUsesAreAnsweredBeforeTheNextUserText) {
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"go"},
                {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
                {"role":"user","content":"what happened?"}]})"),
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each "
            "`tool_use` block must have a corresponding `tool_result` block in the next message.");
  // Text before the results: they no longer come immediately after.
  EXPECT_EQ(violation(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"go"},
                {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
                {"role":"user","content":[{"type":"text","text":"here"},{"type":"tool_result","tool_use_id":"toolu_1"}]}]})"),
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each "
            "`tool_use` block must have a corresponding `tool_result` block in the next message.");
}

TEST(AnthropicRules, TemperatureAndTopPTogetherOnModelsThatRefuseBoth) {
  for (std::string_view model : {"claude-sonnet-4-5-20250929", "claude-haiku-4-5", "claude-opus-4-1-20250805"}) {
    const std::string body =
        R"({"model":")" + std::string(model) +
        R"(","max_tokens":5,"temperature":0.5,"top_p":0.9,"messages":[{"role":"user","content":"x"}]})";
    EXPECT_EQ(violation(body),
              "`temperature` and `top_p` cannot both be specified for this model. Please use only one.")
        << model;
  }
}

TEST(AnthropicRules, MaxTokensWithinTheModelsOutputLimit) {
  EXPECT_EQ(
      violation(
          R"({"model":"claude-sonnet-4-5-20250929","max_tokens":64001,"messages":[{"role":"user","content":"x"}]})"),
      "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for "
      "claude-sonnet-4-5-20250929");
  EXPECT_EQ(
      violation(R"({"model":"claude-3-5-haiku-latest","max_tokens":8193,"messages":[{"role":"user","content":"x"}]})"),
      "max_tokens: 8193 > 8192, which is the maximum allowed number of output tokens for claude-3-5-haiku-latest");
}

// The dialect answers a broken rule with Anthropic's whole error body.
TEST(AnthropicRules, TheDialectAnswersWithAnthropicsErrorBody) {
  std::string body = R"({"model":"m","max_tokens":5,"messages":[]})";
  chat_request_info info;
  const auto e = anthropic_dialect().read_chat(body, {}, false, info);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  const auto parsed = json::parse(e->body);
  EXPECT_EQ(parsed.at("type"), "error");
  EXPECT_EQ(parsed.at("error").at("type"), "invalid_request_error");
  EXPECT_EQ(parsed.at("error").at("message"), "messages: at least one message is required");
  EXPECT_TRUE(parsed.at("request_id").as_string().starts_with("req_"));
}

}  // namespace
}  // namespace llmgw::mock
