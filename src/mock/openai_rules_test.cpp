// One negative test per rule of openai_rules.cpp (where OpenAI documents
// each is cited beside the rule), and requests the real API accepts, which
// must pass.
#include "mock/openai_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock/dialect.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

json::value error_of(std::string body) {
  auto e = openai_rule_violation(body);
  if (!e) return nullptr;
  EXPECT_EQ(e->status, 400);
  return json::parse(e->body).at("error");
}

constexpr std::string_view k_tool_round_trip = R"({"model":"gpt-4o","messages":[
    {"role":"developer","content":"d"},{"role":"system","content":"s"},{"role":"user","content":"weather?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"w","arguments":"{}"}},
                                                     {"id":"call_b","type":"function","function":{"name":"w","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"call_b","content":"rain"},{"role":"tool","tool_call_id":"call_a","content":"sun"},
    {"role":"assistant","content":"Rain and sun."},{"role":"user","content":"thanks"}]})";

TEST(OpenAIRules, RequestsTheApiAcceptsPass) {
  EXPECT_TRUE(error_of(std::string(k_tool_round_trip)).is_null());
  EXPECT_TRUE(error_of(R"({"model":"m","messages":[{"role":"assistant","content":"x","tool_calls":null}]})").is_null());
  EXPECT_TRUE(error_of("not json").is_null());
}

TEST(OpenAIRules, UnknownRolesAreInvalidValues) {
  const auto e = error_of(R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"bot","content":"y"}]})");
  EXPECT_EQ(e.at("message"),
            "Invalid value: 'bot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and "
            "'developer'.");
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_EQ(e.at("param"), "messages[1].role");
  EXPECT_EQ(e.at("code"), "invalid_value");
}

TEST(OpenAIRules, AToolMessageAnswersAToolCallOfThePrecedingAssistantMessage) {
  // No tool_calls before it at all.
  auto e = error_of(
      R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_a","content":"r"}]})");
  EXPECT_EQ(e.at("message"),
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
            "'tool_calls'.");
  EXPECT_EQ(e.at("param"), "messages.[1].role");
  EXPECT_TRUE(e.at("code").is_null());

  // A tool_call_id that answers none of the calls.
  std::string mangled(k_tool_round_trip);
  mangled.replace(mangled.find(R"("tool_call_id":"call_a")"), 23, R"("tool_call_id":"call_x")");
  e = error_of(mangled);
  EXPECT_EQ(e.at("message"),
            "Invalid parameter: 'tool_call_id' of 'call_x' not found in 'tool_calls' of previous message.");
  EXPECT_EQ(e.at("param"), "messages.[5].tool_call_id");

  // Tool calls answered once; a later text message closes them.
  e = error_of(
      R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"r"},{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_a","content":"r"}]})");
  EXPECT_EQ(e.at("param"), "messages.[3].role");
}

TEST(OpenAIRules, TheDialectChecksThemAfterReadingTheRequest) {
  std::string body = R"({"model":"m","messages":[{"role":"bot","content":"[mock:tokens=2]"}]})";
  chat_request_info info;
  const auto e = openai_dialect().read_chat(body, {}, false, info);
  ASSERT_TRUE(e);
  EXPECT_EQ(json::parse(e->body).at("error").at("param"), "messages[0].role");
}

}  // namespace
}  // namespace llmgw::mock
