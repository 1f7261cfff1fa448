#include "mock/request_reader.hpp"

#include <gtest/gtest.h>

namespace llmgw::mock {
namespace {

TEST(request_reader, plain_chat_request) {
  std::string body =
      R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},)"
      R"({"role":"user","content":"Hi [mock:tokens=3]"}],"stream":true,"stream_options":{"include_usage":true},)"
      R"("max_tokens":100,"temperature":0.2,"unknown":{"nested":[1,2,{"a":null}]}})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_EQ(info.model, "gpt-4o-mini");
  EXPECT_TRUE(info.stream);
  EXPECT_TRUE(info.include_usage);
  EXPECT_EQ(info.max_tokens, 100u);
  EXPECT_FALSE(info.has_tools);
  EXPECT_TRUE(info.last_message_is_user);
  EXPECT_EQ(info.last_user_content, R"("Hi [mock:tokens=3]")");
}

TEST(request_reader, defaults_and_nulls) {
  std::string body = R"({"messages":[{"role":"user","content":"x"}],"model":"m","stream":null,"max_tokens":null,)"
                     R"("stream_options":null,"tools":null})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_FALSE(info.stream);
  EXPECT_FALSE(info.include_usage);
  EXPECT_FALSE(info.max_tokens);
  EXPECT_FALSE(info.has_tools);
}

TEST(request_reader, max_completion_tokens_wins) {
  std::string body = R"({"model":"m","messages":[],"max_completion_tokens":5,"max_tokens":50})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_EQ(info.max_tokens, 5u);
}

TEST(request_reader, last_user_message_and_parts) {
  std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"[mock:status=500]"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"content":[{"type":"text","text":"look [mock:echo]"},{"type":"image_url","image_url":{"url":"x"}}],"role":"user"},)"
      R"({"role":"tool","tool_call_id":"c","content":"42"}]})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_FALSE(info.last_message_is_user);
  EXPECT_NE(info.last_user_content.find("[mock:echo]"), std::string_view::npos);
  EXPECT_EQ(info.last_user_content.find("[mock:status=500]"), std::string_view::npos);
}

TEST(request_reader, tools_and_tool_choice) {
  std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],)"
      R"("tool_choice":{"type":"function","function":{"name":"a"}}})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_TRUE(info.has_tools);
  EXPECT_EQ(info.forced_tool, "a");

  std::string required = R"({"model":"m","messages":[],"tools":[],"tool_choice":"required"})";
  chat_request_info info2;
  ASSERT_FALSE(read_chat_request(required, info2));
  EXPECT_FALSE(info2.has_tools);
  EXPECT_TRUE(info2.tool_choice_required);

  std::string none = R"({"model":"m","messages":[],"tool_choice":"none"})";
  chat_request_info info3;
  ASSERT_FALSE(read_chat_request(none, info3));
  EXPECT_TRUE(info3.tool_choice_none);
}

TEST(request_reader, errors) {
  auto status_of = [](std::string body) {
    chat_request_info info;
    auto e = read_chat_request(body, info);
    return e ? e->status : 0;
  };
  EXPECT_EQ(status_of(R"({"model":"m","messages":[)"), 400);
  EXPECT_EQ(status_of("not json"), 400);
  EXPECT_EQ(status_of(""), 400);
  EXPECT_EQ(status_of("[1,2]"), 400);
  EXPECT_EQ(status_of(R"({"messages":[]})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m"})"), 400);
  EXPECT_EQ(status_of(R"({"model":7,"messages":[]})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","messages":"hi"})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","messages":[],"stream":"yes"})"), 400);

  chat_request_info info;
  std::string missing = R"({"model":"m"})";
  auto e = read_chat_request(missing, info);
  ASSERT_TRUE(e);
  EXPECT_NE(e->body.find("\"param\":\"messages\""), std::string::npos);
}

TEST(request_reader, default_model_from_path) {
  std::string body = R"({"messages":[]})";
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info, "my-deployment"));
  EXPECT_EQ(info.model, "my-deployment");
}

TEST(request_reader, body_content_is_untouched) {
  std::string body = R"({"model":"m","messages":[]})";
  const std::string copy = body;
  chat_request_info info;
  ASSERT_FALSE(read_chat_request(body, info));
  EXPECT_EQ(body, copy);
}

TEST(request_reader, embeddings_inputs) {
  std::string one = R"({"model":"text-embedding-3-small","input":"hello world"})";
  embeddings_request_info a;
  ASSERT_FALSE(read_embeddings_request(one, a));
  ASSERT_EQ(a.inputs.size(), 1u);
  EXPECT_EQ(a.inputs[0], R"("hello world")");
  EXPECT_FALSE(a.base64);

  std::string many = R"({"input":["a","bb", "ccc"],"model":"m","encoding_format":"base64","dimensions":8})";
  embeddings_request_info b;
  ASSERT_FALSE(read_embeddings_request(many, b));
  EXPECT_EQ(b.inputs.size(), 3u);
  EXPECT_EQ(b.input_tokens.size(), 3u);
  EXPECT_TRUE(b.base64);
  EXPECT_EQ(b.dimensions, 8u);

  std::string tokens = R"({"model":"m","input":[1, 2, 3]})";
  embeddings_request_info c;
  ASSERT_FALSE(read_embeddings_request(tokens, c));
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0], "1, 2, 3");
  EXPECT_EQ(c.input_tokens[0], 3u);

  std::string nested = R"({"model":"m","input":[[1,2],[3]]})";
  embeddings_request_info d;
  ASSERT_FALSE(read_embeddings_request(nested, d));
  ASSERT_EQ(d.inputs.size(), 2u);
  EXPECT_EQ(d.input_tokens[0], 2u);
  EXPECT_EQ(d.input_tokens[1], 1u);
}

TEST(request_reader, embeddings_errors) {
  auto status_of = [](std::string body) {
    embeddings_request_info info;
    auto e = read_embeddings_request(body, info);
    return e ? e->status : 0;
  };
  EXPECT_EQ(status_of(R"({"model":"m"})"), 400);
  EXPECT_EQ(status_of(R"({"input":"x"})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","input":{}})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","input":[]})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","input":"x","encoding_format":"hex"})"), 400);
  EXPECT_EQ(status_of(R"({"model":"m","input":"x")"), 400);
}

}  // namespace
}  // namespace llmgw::mock
