#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <string>

#include "core/eventstream.hpp"
#include "mock/dialect.hpp"
#include "providers/bedrock.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

const dialect& d() { return bedrock_dialect(); }

header_lookup headers_from(std::map<std::string, std::string> h) {
  return [h = std::move(h)](std::string_view name) -> std::string_view {
    auto it = h.find(std::string(name));
    return it == h.end() ? std::string_view() : std::string_view(it->second);
  };
}

std::string header(const mock_error& e, std::string_view name) {
  for (const auto& [n, v] : e.headers) {
    if (n == name) return v;
  }
  return {};
}

// What the gateway's adapter sends for an OpenAI body: the mock must take it.
providers::upstream_request gateway_request(std::string_view openai_body, bool stream = false) {
  providers::vendor_endpoint ep;
  ep.host = "127.0.0.1:9999";
  ep.aws_access_key_id = "AKIDMOCK";
  ep.aws_secret_access_key = "secret";
  ep.aws_region = "us-east-1";
  providers::chat_encode_options o;
  o.vendor_model = "anthropic.claude-3-haiku-20240307-v1:0";
  o.stream = stream;
  auto r = providers::bedrock_provider().encode_chat(openai_body, ep, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : providers::upstream_request{};
}

TEST(BedrockDialect, AuthNeedsASigV4HeaderAndADate) {
  const std::string signed_header =
      "AWS4-HMAC-SHA256 Credential=AKIDMOCK/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, "
      "Signature=abc";
  auto missing = d().check_auth(headers_from({}), {}, "AKIDMOCK");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(header(*missing, "x-amzn-errortype"), "MissingAuthenticationTokenException");
  EXPECT_EQ(json::parse(missing->body).at("message"), "Missing Authentication Token");

  auto bearer =
      d().check_auth(headers_from({{"authorization", "Bearer k"}, {"x-amz-date", "20240101T000000Z"}}), {}, "");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 403);

  auto no_date = d().check_auth(headers_from({{"authorization", signed_header}}), {}, "AKIDMOCK");
  ASSERT_TRUE(no_date);
  EXPECT_EQ(header(*no_date, "x-amzn-errortype"), "IncompleteSignatureException");

  auto wrong = d().check_auth(headers_from({{"authorization", signed_header}, {"x-amz-date", "20240101T000000Z"}}), {},
                              "AKIDOTHER");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(header(*wrong, "x-amzn-errortype"), "UnrecognizedClientException");

  EXPECT_FALSE(d().check_auth(headers_from({{"authorization", signed_header}, {"x-amz-date", "20240101T000000Z"}}), {},
                              "AKIDMOCK"));
  EXPECT_FALSE(
      d().check_auth(headers_from({{"authorization", signed_header}, {"x-amz-date", "20240101T000000Z"}}), {}, ""));
}

TEST(BedrockDialect, AcceptsWhatTheGatewaySends) {
  auto r = gateway_request(R"({"model":"m","max_tokens":12,"messages":[{"role":"user","content":"Hi [mock:tool]"}],
      "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object",
        "properties":{"id":{"type":"integer"}}}}}],"tool_choice":{"type":"function","function":{"name":"lookup"}}})",
                           true);
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_FALSE(d().check_auth(headers_from(h), {}, "AKIDMOCK"));

  // The mock routes POST /model/<id>/converse-stream with the id as sent.
  const std::string_view target = r.target;
  ASSERT_TRUE(target.starts_with("/model/") && target.ends_with("/converse-stream"));
  const std::string_view path_model = target.substr(7, target.size() - 7 - 16);
  chat_request_info info;
  ASSERT_FALSE(d().read_chat(r.body, path_model, true, info));
  EXPECT_EQ(info.model, "anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_TRUE(info.stream);
  EXPECT_EQ(info.max_tokens, 12u);
  EXPECT_TRUE(info.has_tools);
  EXPECT_EQ(info.forced_tool, "lookup");
  EXPECT_TRUE(info.last_message_is_user);
  EXPECT_NE(info.last_user_content.find("[mock:tool]"), std::string_view::npos);

  const auto call = d().make_tool_call(r.body, "lookup");
  ASSERT_TRUE(call);
  EXPECT_TRUE(call->id.starts_with("tooluse_"));
  EXPECT_EQ(json::parse(call->arguments), json::parse(R"({"id":1})"));
}

TEST(BedrockDialect, ToolResultsAreNotTheUsersQuestion) {
  auto r =
      gateway_request(R"({"model":"m","tool_choice":"required","messages":[{"role":"user","content":"Q [mock:tool]"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"t1","content":"42"}],"tools":[{"type":"function","function":{"name":"f"}}]})");
  chat_request_info info;
  // A model that can be made to call a tool (toolChoice "any").
  ASSERT_FALSE(d().read_chat(r.body, "anthropic.claude-3-haiku-20240307-v1%3A0", false, info));
  EXPECT_FALSE(info.last_message_is_user);
  EXPECT_TRUE(info.tool_choice_required);
  EXPECT_NE(info.last_user_content.find("Q [mock:tool]"), std::string_view::npos);
}

TEST(BedrockDialect, RefusesBodiesItCannotRead) {
  chat_request_info info;
  std::string bad = "{nope";
  auto e = d().read_chat(bad, "m", false, info);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(header(*e, "x-amzn-errortype"), "ValidationException");
  std::string no_messages = R"({"inferenceConfig":{"maxTokens":5}})";
  ASSERT_TRUE(d().read_chat(no_messages, "m", false, info));
}

TEST(BedrockDialect, RepliesDecodeThroughTheAdapter) {
  const completion_meta meta = new_completion_meta("m");
  std::string body;
  d().render_reply(body, reply{meta, "Hello there", nullptr, "length", {7, 2}});
  token_usage usage;
  const auto decoded = providers::bedrock_provider().decode_chat(body, "m", &usage);
  ASSERT_TRUE(decoded) << body;
  const auto v = json::parse(*decoded);
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), "Hello there");
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), "length");
  EXPECT_EQ(usage.prompt_tokens, 7);
  EXPECT_EQ(usage.completion_tokens, 2);

  tool_call call{"tooluse_abc", "lookup", R"({"id":1})"};
  body.clear();
  d().render_reply(body, reply{meta, "", &call, "tool_calls", {7, 3}});
  const auto tool = json::parse(*providers::bedrock_provider().decode_chat(body, "m", nullptr));
  EXPECT_EQ(tool.at("choices").at(0).at("message").at("tool_calls").at(0).at("function").at("arguments"),
            R"({"id":1})");
}

// The mock's stream is real eventstream: the adapter's translator reads it.
std::string translate(const reply& r, std::initializer_list<std::string_view> pieces, bool& failed) {
  auto writer = d().stream(r);
  std::string bytes;
  writer->begin(bytes);
  for (auto p : pieces) writer->piece(bytes, p);
  writer->end(bytes);
  providers::stream_options o;
  o.requested_model = "m";
  o.include_usage = true;
  o.id = "chatcmpl-x";
  auto t = providers::bedrock_provider().translate_stream(o);
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += 5) t->feed(std::string_view(bytes).substr(at, 5), out);
  t->finish(out);
  failed = t->error().has_value();
  return out;
}

TEST(BedrockDialect, StreamsAreEventstreamTheAdapterReads) {
  EXPECT_EQ(d().stream_content_type(), "application/vnd.amazon.eventstream");
  const completion_meta meta = new_completion_meta("m");
  bool failed = true;
  const std::string text = translate(reply{meta, "Hi you", nullptr, "stop", {3, 2}}, {"Hi", " you"}, failed);
  EXPECT_FALSE(failed);
  EXPECT_NE(text.find(R"("content":"Hi")"), std::string::npos);
  EXPECT_NE(text.find(R"("content":" you")"), std::string::npos);
  EXPECT_NE(text.find(R"("prompt_tokens":3,"completion_tokens":2)"), std::string::npos);
  EXPECT_TRUE(text.ends_with("data: [DONE]\n\n"));

  tool_call call{"tooluse_abc", "lookup", R"({"id":1})"};
  const std::string tool = translate(reply{meta, "", &call, "tool_calls", {3, 2}}, {R"({"id")", ":1}"}, failed);
  EXPECT_FALSE(failed);
  EXPECT_NE(tool.find(R"("id":"tooluse_abc","type":"function","function":{"name":"lookup")"), std::string::npos);
  EXPECT_NE(tool.find(R"("arguments":":1}")"), std::string::npos);
  EXPECT_NE(tool.find(R"("finish_reason":"tool_calls")"), std::string::npos);
}

TEST(BedrockDialect, ScriptedErrorsAreBedrocksAndMapBack) {
  struct expected {
    int status;
    std::string_view type;
    int client_status;
  };
  for (const auto& e : {expected{400, "ValidationException", 400}, expected{403, "AccessDeniedException", 403},
                        expected{404, "ResourceNotFoundException", 404}, expected{429, "ThrottlingException", 429},
                        expected{500, "InternalServerException", 500},
                        expected{503, "ServiceUnavailableException", 503}, expected{424, "ModelErrorException", 502}}) {
    const auto m = d().scripted_error(e.status, "m");
    EXPECT_EQ(m.status, e.status);
    EXPECT_EQ(header(m, "x-amzn-errortype"), e.type);
    const auto g = providers::bedrock_provider().decode_error(m.status, m.body);
    EXPECT_EQ(g.status, e.client_status) << e.type;
    EXPECT_FALSE(g.message.starts_with("The upstream provider bedrock answered")) << "message lost for " << e.type;
  }
}

}  // namespace
}  // namespace llmgw::mock
