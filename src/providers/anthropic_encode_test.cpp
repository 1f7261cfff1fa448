#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/anthropic.hpp"
#include "providers/anthropic_models.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

vendor_endpoint endpoint() {
  vendor_endpoint ep;
  ep.host = "api.anthropic.com";
  ep.api_key = "sk-ant-test";
  return ep;
}

boost::system::result<upstream_request, gateway_error> encode(std::string_view openai_body,
                                                              const vendor_endpoint& ep = endpoint(),
                                                              bool stream = false) {
  chat_encode_options o;
  o.stream = stream;
  return anthropic_provider().encode_chat(openai_body, ep, o);
}

json::object encoded_body(std::string_view openai_body) {
  auto r = encode(openai_body);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (!r) return {};
  return json::parse(r->body).as_object();
}

std::string header(const upstream_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

// Claude Sonnet 4.5 and later refuse temperature and top_p together
// (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4);
// many OpenAI clients send both, so top_p goes and the request is answered.
TEST(AnthropicEncode, TopPBesideTemperatureIsDroppedForModelsThatRefuseBoth) {
  auto r = encode(
      R"({"model":"claude-sonnet-4-5","temperature":0.3,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  auto body = json::parse(r->body).as_object();
  EXPECT_EQ(body.at("temperature"), 0.3);
  EXPECT_FALSE(body.contains("top_p"));
  EXPECT_EQ(r->dropped_params, std::vector<std::string_view>{"top_p"});

  // top_p alone is kept; both are kept for a model that takes both.
  r = encode(R"({"model":"claude-sonnet-4-5","top_p":0.9,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("top_p"), 0.9);
  EXPECT_TRUE(r->dropped_params.empty());
  r = encode(
      R"({"model":"claude-3-7-sonnet-20250219","temperature":0.3,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  body = json::parse(r->body).as_object();
  EXPECT_EQ(body.at("temperature"), 0.3);
  EXPECT_EQ(body.at("top_p"), 0.9);
  EXPECT_TRUE(r->dropped_params.empty());
}

TEST(AnthropicEncode, TargetAndHeadersFollowTheEndpoint) {
  auto ep = endpoint();
  ep.base_path = "/proxy/anthropic";
  ep.api_version = "2024-10-22";
  auto r = encode(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}]})", ep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/proxy/anthropic/v1/messages");
  EXPECT_EQ(header(*r, "x-api-key"), "sk-ant-test");
  EXPECT_EQ(header(*r, "anthropic-version"), "2024-10-22");
  EXPECT_EQ(header(*r, "authorization"), "<absent>");
}

TEST(AnthropicEncode, StreamFlagComesFromTheOptions) {
  const std::string body =
      R"({"model":"claude-3-haiku-20240307","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  auto streamed = encode(body, endpoint(), true);
  ASSERT_TRUE(streamed);
  EXPECT_EQ(json::parse(streamed->body).at("stream"), true);
  auto whole = encode(body, endpoint(), false);
  ASSERT_TRUE(whole);
  EXPECT_FALSE(json::parse(whole->body).as_object().contains("stream"));
}

TEST(AnthropicEncode, ArgumentsThatAreNotAnObjectAreRefusedNamingTheField) {
  auto r = encode(R"({"model":"claude-3-haiku-20240307","messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"[1,2]"}}]},
      {"role":"tool","tool_call_id":"t1","content":"ok"}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().param, "messages[1].tool_calls[0].function.arguments");
}

TEST(AnthropicEncode, ParseErrorsOfTheOpenAIBodyPassThrough) {
  auto r = encode(R"({"model":"claude-3-haiku-20240307","messages":"nope"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().param, "messages");
}

TEST(AnthropicEncode, UnknownRolesAreRefused) {
  auto r = encode(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"function","name":"f","content":"x"}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "messages[0].role");
}

TEST(AnthropicEncode, ClientToolsMayNotUseTheAnswerToolPrefix) {
  auto r = encode(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"ok"}},{"type":"function","function":{"name":"llmgw_json_x"}}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "tools[1].function.name");
}

TEST(AnthropicEncode, ToolResultsGoFirstInTheirUserTurn) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[
      {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"user","content":"by the way"},
      {"role":"tool","tool_call_id":"t1","content":"result"}]})");
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  const auto& content = messages[1].at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("type"), "tool_result");
  EXPECT_EQ(content[1].at("text"), "by the way");
}

TEST(AnthropicEncode, ToolResultWithAnImageKeepsBlocks) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[
      {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"shot","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"screen"},
          {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}}]}]})");
  const auto& result = body.at("messages").as_array()[1].at("content").as_array()[0].as_object();
  EXPECT_EQ(result.at("tool_use_id"), "t1");
  const auto& blocks = result.at("content").as_array();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].at("source").at("media_type"), "image/jpeg");
}

TEST(AnthropicEncode, AnswerToolNameIsSanitisedAndFitsAnthropicsLimit) {
  const std::string long_name(80, 'n');
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}],
      "response_format":{"type":"json_schema","json_schema":{"name":"a.b )" +
                           long_name + R"(","schema":{"type":"object"}}}})");
  const std::string name(body.at("tool_choice").at("name").as_string());
  EXPECT_EQ(name.size(), 64u);
  EXPECT_TRUE(name.starts_with("llmgw_json_a_b_nnn")) << name;
  EXPECT_EQ(body.at("tools").as_array()[0].at("name").as_string(), name);
}

TEST(AnthropicEncode, ToolChoiceNoneWithResponseFormatLeavesOnlyTheAnswerTool) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none",
      "response_format":{"type":"json_object"}})");
  const auto& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].at("name"), "llmgw_json_json_object");
  EXPECT_EQ(body.at("tool_choice").at("type"), "tool");
}

TEST(AnthropicEncode, NamedChoiceSurvivesResponseFormat) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}},
      "response_format":{"type":"json_object"}})");
  EXPECT_EQ(body.at("tool_choice"), (json::object{{"type", "tool"}, {"name", "f"}}));
  EXPECT_EQ(body.at("tools").as_array().size(), 2u);
}

TEST(AnthropicEncode, ToolChoiceWithoutToolsIsLeftOut) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[{"role":"user","content":"hi"}],
      "tool_choice":"required","parallel_tool_calls":false})");
  EXPECT_FALSE(body.contains("tool_choice"));
  EXPECT_FALSE(body.contains("tools"));
}

TEST(AnthropicEncode, SystemOnlyConversationSendsNoEmptyMessages) {
  auto body = encoded_body(R"({"model":"claude-3-haiku-20240307","messages":[
      {"role":"system","content":""},{"role":"user","content":"hi"},{"role":"assistant","content":null}]})");
  EXPECT_FALSE(body.contains("system"));
  EXPECT_EQ(body.at("messages").as_array().size(), 1u);
}

TEST(AnthropicModels, FamiliesAndAliasesResolve) {
  EXPECT_EQ(claude_max_output_tokens("claude-3-haiku-20240307"), 4096);
  EXPECT_EQ(claude_max_output_tokens("claude-3-5-sonnet-latest"), 8192);
  EXPECT_EQ(claude_max_output_tokens("claude-3-7-sonnet-20250219"), 64000);
  EXPECT_EQ(claude_max_output_tokens("claude-opus-4-20250514"), 32000);
  EXPECT_EQ(claude_max_output_tokens("claude-opus-4-5"), 64000);
  EXPECT_EQ(claude_max_output_tokens("claude-sonnet-4-5"), 64000);
  EXPECT_EQ(claude_max_output_tokens("anthropic/claude-haiku-4-5-20251001"), 64000);
  EXPECT_EQ(claude_max_output_tokens("gpt-4o"), std::nullopt);
}

TEST(AnthropicModels, DefaultFromOptionsForUnknownModels) {
  chat_encode_options o;
  o.default_max_tokens = 1234;
  o.vendor_model = "claude-next";
  auto r =
      anthropic_provider().encode_chat(R"({"model":"x","messages":[{"role":"user","content":"hi"}]})", endpoint(), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("max_tokens"), 1234);
}

}  // namespace
}  // namespace llmgw::providers
