#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "providers/aws_sigv4.hpp"
#include "providers/bedrock.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

constexpr std::string_view k_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

vendor_endpoint endpoint() {
  vendor_endpoint ep;
  ep.host = "bedrock-runtime.us-east-1.amazonaws.com";
  ep.aws_access_key_id = "AKIDEXAMPLE";
  ep.aws_secret_access_key = k_secret;
  ep.aws_region = "us-east-1";
  return ep;
}

chat_encode_options options(std::string_view model = "anthropic.claude-3-haiku-20240307-v1:0", bool stream = false) {
  chat_encode_options o;
  o.vendor_model = model;
  o.stream = stream;
  o.now = std::chrono::system_clock::time_point(std::chrono::seconds(1704067200));  // 2024-01-01T00:00:00Z
  return o;
}

std::string header(const upstream_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

boost::system::result<upstream_request, gateway_error> encode(std::string_view body,
                                                              const vendor_endpoint& ep = endpoint(),
                                                              const chat_encode_options& o = options()) {
  return bedrock_provider().encode_chat(body, ep, o);
}

constexpr std::string_view k_hello = R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})";

// Claude on Bedrock refuses temperature and topP together as it does on
// Anthropic's API: topP goes, temperature stays.
TEST(bedrock_encode, top_p_beside_temperature_is_dropped_for_claude_models_that_refuse_both) {
  constexpr std::string_view both =
      R"({"model":"m","temperature":0.3,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]})";
  auto r = encode(both, endpoint(), options("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
  ASSERT_TRUE(r);
  const auto inference = json::parse(r->body).at("inferenceConfig").as_object();
  EXPECT_EQ(inference.at("temperature"), 0.3);
  EXPECT_FALSE(inference.contains("topP"));
  EXPECT_EQ(r->dropped_params, std::vector<std::string_view>{"top_p"});

  r = encode(both, endpoint(), options("anthropic.claude-3-haiku-20240307-v1:0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("inferenceConfig").at("topP"), 0.9);
  EXPECT_TRUE(r->dropped_params.empty());
}

TEST(bedrock_encode, session_token_is_sent_and_signed) {
  auto ep = endpoint();
  ep.aws_session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  const auto r = encode(k_hello, ep);
  ASSERT_TRUE(r);
  EXPECT_EQ(header(*r, "x-amz-security-token"), "FQoGZXIvYXdzEXAMPLETOKEN");
  EXPECT_EQ(header(*r, "x-amz-date"), "20240101T000000Z");
  const std::string auth = header(*r, "authorization");
  EXPECT_TRUE(
      auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/bedrock/aws4_request, "
                       "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="))
      << auth;
}

// The signature is the one AWS computes for what goes on the wire: the
// target encoded once, signed encoded twice, the exact body bytes.
TEST(bedrock_encode, signature_covers_target_host_and_body) {
  const auto r = encode(k_hello);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
  aws::signing_request s;
  s.method = "POST";
  s.path = r->target;
  s.headers = {{"host", "bedrock-runtime.us-east-1.amazonaws.com"}, {"x-amz-date", "20240101T000000Z"}};
  s.payload = r->body;
  const auto parts = aws::sign(s, {"AKIDEXAMPLE", k_secret, ""}, "us-east-1", "bedrock", "20240101T000000Z");
  EXPECT_NE(parts.canonical_request.find("\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n"),
            std::string::npos);
  EXPECT_EQ(header(*r, "authorization"), parts.authorization);

  auto other = encode(R"({"model":"m","messages":[{"role":"user","content":"Hi!"}]})");
  ASSERT_TRUE(other);
  EXPECT_NE(header(*other, "authorization"), parts.authorization);
}

TEST(bedrock_encode, base_path_stream_and_arn_model_ids) {
  auto ep = endpoint();
  ep.base_path = "/proxy";
  const auto r = encode(k_hello, ep, options("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x", true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target,
            "/proxy/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x/converse-stream");
}

TEST(bedrock_encode, dot_segment_model_ids_are_refused) {
  for (std::string_view bad : {"..", ".", "%2e%2e", "arn:x/../y"}) {
    const auto r = encode(k_hello, endpoint(), options(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().param, "model");
  }
}

// What is sent and what is signed agree for any model id: the canonical URI
// is the wire path encoded once more, so '%' itself is signed as %25.
TEST(bedrock_encode, odd_model_ids_are_one_segment_signed_as_sent) {
  const auto r = encode(k_hello, endpoint(), options("a b?c#d%2F:e/f"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/model/a%20b%3Fc%23d%252F%3Ae%2Ff/converse");
  aws::signing_request s;
  s.method = "POST";
  s.path = r->target;
  EXPECT_EQ(aws::canonical_uri(s.path), "/model/a%2520b%253Fc%2523d%25252F%253Ae%252Ff/converse");
}

TEST(bedrock_encode, credentials_never_leak_and_are_required) {
  const auto r = encode(k_hello);
  ASSERT_TRUE(r);
  for (const auto& [n, v] : r->headers) EXPECT_EQ(v.find(k_secret), std::string::npos) << n;
  EXPECT_EQ(r->body.find(k_secret), std::string::npos);

  auto ep = endpoint();
  ep.aws_region = "";
  const auto missing = encode(k_hello, ep);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().status, 500);
  EXPECT_EQ(missing.error().message.find(k_secret), std::string::npos);
}

TEST(bedrock_encode, unsupported_image_type_names_the_field) {
  const auto r = encode(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().param, "messages[0].content[1].image_url.url");
}

TEST(bedrock_encode, tool_call_arguments_must_be_json) {
  const auto r = encode(R"({"model":"m","messages":[{"role":"user","content":"x"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function",
       "function":{"name":"f","arguments":"{not json"}}]}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "messages[1].tool_calls[0].function.arguments");
}

TEST(bedrock_encode, tool_choice_none_without_tool_history_sends_no_tools) {
  const auto r = encode(R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none",
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(json::parse(r->body).as_object().contains("toolConfig")) << r->body;
}

TEST(bedrock_encode, required_becomes_any_and_empty_tool_results_have_no_blocks) {
  const auto r = encode(R"({"model":"m","tool_choice":"required","messages":[
      {"role":"user","content":"x"},
      {"role":"assistant","content":"","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"t1","content":""}],
      "tools":[{"type":"function","function":{"name":"f"}}]})");
  ASSERT_TRUE(r);
  const auto body = json::parse(r->body).as_object();
  EXPECT_EQ(body.at("toolConfig").at("toolChoice"), json::parse(R"({"any":{}})"));
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].at("content").as_array().size(), 1u);  // the empty text is not sent
  EXPECT_EQ(messages[2].at("content").at(0).at("toolResult").at("content"), json::array{});
}

TEST(bedrock_encode, unknown_roles_are_refused) {
  const auto r = encode(R"({"model":"m","messages":[{"role":"function","name":"f","content":"x"}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "messages[0].role");
}

}  // namespace
}  // namespace llmgw::providers
