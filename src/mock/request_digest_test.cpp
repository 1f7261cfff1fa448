#include "mock/request_digest.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/anthropic.hpp"
#include "providers/bedrock.hpp"
#include "providers/gemini.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

json::value digest_of(std::string_view dialect, std::string_view body) {
  return json::parse(request_digest(dialect, body));
}

// The digest every dialect's rendering of one conversation must give: a
// system prompt, a question with an image, a tool call, its result and a
// follow-up question, with stop sequences and a token limit.
const json::value k_expected = json::parse(R"({
  "system": ["Be brief."],
  "messages": [
    {"role": "user", "text": ["what is this?"], "images": ["image/png"], "tool_calls": [], "tool_results": []},
    {"role": "assistant", "text": [], "images": [],
     "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}], "tool_results": []},
    {"role": "user", "text": ["and tomorrow?"], "images": [], "tool_calls": [],
     "tool_results": [{"id": "call_1", "name": "get_weather", "content": {"temp_c": 21}}]}
  ],
  "stop": ["END"],
  "max_tokens": 100
})");

TEST(RequestDigest, OpenAI) {
  const auto d = digest_of("openai", R"({"model":"m","max_tokens":100,"stop":"END","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":[{"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":21}"},
    {"role":"user","content":"and tomorrow?"}]})");
  EXPECT_EQ(d, k_expected) << d;
}

TEST(RequestDigest, Anthropic) {
  const auto d = digest_of("anthropic", R"({"model":"m","max_tokens":100,"stop_sequences":["END"],
    "system":[{"type":"text","text":"Be brief."}],"messages":[
    {"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},
      {"type":"text","text":"what is this?"}]},
    {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"{\"temp_c\":21}"},
      {"type":"text","text":"and tomorrow?"}]}]})");
  EXPECT_EQ(d, k_expected) << d;
}

// Gemini names the function a result answers and sends no ids.
json::value gemini_expected() {
  json::value expected = k_expected;
  auto& messages = expected.at("messages").as_array();
  messages[1].at("tool_calls").as_array()[0].as_object()["id"] = nullptr;
  messages[2].at("tool_results").as_array()[0].as_object()["id"] = nullptr;
  return expected;
}

TEST(RequestDigest, GeminiInBothSpellings) {
  const json::value expected = gemini_expected();

  const auto camel = digest_of("gemini", R"({"systemInstruction":{"parts":[{"text":"Be brief."}]},
    "generationConfig":{"maxOutputTokens":100,"stopSequences":["END"]},"contents":[
    {"role":"user","parts":[{"text":"what is this?"},{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]},
    {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},
    {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp_c":21}}}]},
    {"role":"user","parts":[{"text":"and tomorrow?"}]}]})");
  EXPECT_EQ(camel, expected) << camel;

  const auto snake = digest_of("gemini", R"({"system_instruction":{"parts":[{"text":"Be brief."}]},
    "generation_config":{"max_output_tokens":100,"stop_sequences":["END"]},"contents":[
    {"role":"user","parts":[{"text":"what is this?"},{"inline_data":{"mime_type":"image/png","data":"AAAA"}}]},
    {"role":"model","parts":[{"function_call":{"name":"get_weather","args":{"city":"Paris"}}}]},
    {"role":"user","parts":[{"function_response":{"name":"get_weather","response":{"temp_c":21}}},
      {"text":"and tomorrow?"}]}]})");
  EXPECT_EQ(snake, expected) << snake;
}

TEST(RequestDigest, Bedrock) {
  const auto d = digest_of("bedrock", R"({"system":[{"text":"Be brief."}],
    "inferenceConfig":{"maxTokens":100,"stopSequences":["END"]},"messages":[
    {"role":"user","content":[{"text":"what is this?"},{"image":{"format":"png","source":{"bytes":"AAAA"}}}]},
    {"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}}]},
    {"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"json":{"temp_c":21}}]}},
      {"text":"and tomorrow?"}]}]})");
  EXPECT_EQ(d, k_expected) << d;
}

TEST(RequestDigest, AResultWhoseIdAnswersNoCallHasNoName) {
  const auto d = digest_of("anthropic", R"({"messages":[
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_X","content":[{"type":"text","text":"sunny"}]}]}]})");
  const auto& result = d.at("messages").as_array()[1].at("tool_results").as_array()[0];
  EXPECT_EQ(result.at("id"), "toolu_X");
  EXPECT_TRUE(result.at("name").is_null());
  EXPECT_EQ(result.at("content"), "sunny") << "text that is not JSON stays a string";
  EXPECT_TRUE(d.at("max_tokens").is_null());
  EXPECT_EQ(d.at("system"), json::array{});
}

TEST(RequestDigest, NotJson) { EXPECT_TRUE(digest_of("openai", "nope").as_object().contains("error")); }

// The gateway's adapters, fed the OpenAI request above, give the vendor a
// request with the same digest: nothing is lost on the way.
TEST(RequestDigest, GatewayAdaptersKeepEveryPart) {
  constexpr std::string_view openai_body = R"({"model":"m","max_tokens":100,"stop":["END"],"messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":[{"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":21}"},
    {"role":"user","content":"and tomorrow?"}]})";
  providers::vendor_endpoint ep;
  ep.host = "vendor.test";
  ep.api_key = "k";
  ep.aws_access_key_id = "AKID";
  ep.aws_secret_access_key = "secret";
  ep.aws_region = "us-east-1";
  providers::chat_encode_options o;
  o.vendor_model = "vendor-model";

  for (const auto* adapter : {&providers::anthropic_provider(), &providers::bedrock_provider()}) {
    auto up = adapter->encode_chat(openai_body, ep, o);
    ASSERT_TRUE(up) << up.error().message;
    const auto d = digest_of(adapter == &providers::bedrock_provider() ? "bedrock" : "anthropic", up->body);
    EXPECT_EQ(d, k_expected) << d;
  }
  auto up = providers::gemini_provider().encode_chat(openai_body, ep, o);
  ASSERT_TRUE(up) << up.error().message;
  const auto d = digest_of("gemini", up->body);
  EXPECT_EQ(d, gemini_expected()) << d;
}

}  // namespace
}  // namespace llmgw::mock
