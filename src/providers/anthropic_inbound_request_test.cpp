// Validation of Anthropic Messages bodies and the translation cases that the
// golden fixtures do not show: rejected shapes, dropped fields, edge shapes.
#include "providers/anthropic_inbound.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace llmgw::providers {
namespace {

namespace json = boost::json;

// The 400 parse_messages_request gives for `body`, or an empty error when it passes.
gateway_error rejection(std::string_view body) {
  auto r = parse_messages_request(body);
  return r.has_value() ? gateway_error{} : r.error();
}

void expect_rejected(std::string_view body, std::string_view param, std::string_view message) {
  const gateway_error e = rejection(body);
  EXPECT_EQ(e.status, 400) << body;
  EXPECT_EQ(e.type, "invalid_request_error") << body;
  EXPECT_EQ(e.param, param) << body;
  EXPECT_EQ(e.message, message) << body;
}

json::object to_openai(std::string_view body) {
  auto r = messages_to_openai(body);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? json::parse(*r, {}, {.max_depth = 128}).as_object() : json::object{};
}

TEST(anthropic_inbound_request, returns_model_stream_and_max_tokens) {
  auto r = parse_messages_request(R"({"model":"claude-x","max_tokens":77,"stream":true,
                                      "messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->model, "claude-x");
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->max_tokens, 77);

  auto plain = parse_messages_request(
      R"({"model":"m","max_tokens":1,"stream":null,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->stream);
}

TEST(anthropic_inbound_request, metadata_user_id_is_kept_for_usage_records) {
  auto r = parse_messages_request(
      R"({"model":"m","max_tokens":1,"metadata":{"user_id":"u-\u00e9"},"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user_id, "u-\u00e9");
  auto none = parse_messages_request(
      R"({"model":"m","max_tokens":1,"metadata":{"user_id":null},"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->user_id, "");
}

TEST(anthropic_inbound_request, rejects_bodies_that_are_not_json_objects) {
  EXPECT_EQ(rejection("{").status, 400);
  EXPECT_EQ(rejection("[1]").status, 400);
  EXPECT_EQ(rejection("").status, 400);
}

TEST(anthropic_inbound_request, names_missing_and_mistyped_top_level_fields) {
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  expect_rejected(R"({"max_tokens":5,)" + msgs + "}", "model", "model: Field required");
  expect_rejected(R"({"model":7,"max_tokens":5,)" + msgs + "}", "model", "model: Input should be a valid string");
  expect_rejected(R"({"model":"","max_tokens":5,)" + msgs + "}", "model",
                  "model: String should have at least 1 character");
  expect_rejected(R"({"model":"claude-x\r\nSet-Cookie: a=b","max_tokens":5,)" + msgs + "}", "model",
                  "model: Control characters are not allowed in a model name");
  expect_rejected(R"({"model":"m\u0000","max_tokens":5,)" + msgs + "}", "model",
                  "model: Control characters are not allowed in a model name");
  expect_rejected(R"({"model":"m",)" + msgs + "}", "max_tokens", "max_tokens: Field required");
  expect_rejected(R"({"model":"m","max_tokens":"5",)" + msgs + "}", "max_tokens",
                  "max_tokens: Input should be a valid integer");
  expect_rejected(R"({"model":"m","max_tokens":2.5,)" + msgs + "}", "max_tokens",
                  "max_tokens: Input should be a valid integer");
  expect_rejected(R"({"model":"m","max_tokens":0,)" + msgs + "}", "max_tokens",
                  "max_tokens: Input should be greater than or equal to 1");
  expect_rejected(R"({"model":"m","max_tokens":5})", "messages", "messages: Field required");
  expect_rejected(R"({"model":"m","max_tokens":5,"messages":{}})", "messages",
                  "messages: Input should be a valid list");
  expect_rejected(R"({"model":"m","max_tokens":5,"messages":[]})", "messages",
                  "messages: List should have at least 1 item");
}

TEST(anthropic_inbound_request, names_the_path_inside_messages) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":)";
  expect_rejected(head + R"([{"role":"user","content":"a"},"x"]})", "messages.1",
                  "messages.1: Input should be a valid dictionary");
  expect_rejected(head + R"([{"role":"system","content":"a"}]})", "messages.0.role",
                  "messages.0.role: Input should be 'user' or 'assistant'");
  expect_rejected(head + R"([{"content":"a"}]})", "messages.0.role", "messages.0.role: Field required");
  expect_rejected(head + R"([{"role":"user"}]})", "messages.0.content", "messages.0.content: Field required");
  expect_rejected(head + R"([{"role":"user","content":5}]})", "messages.0.content",
                  "messages.0.content: Input should be a valid string or a list of content blocks");
  expect_rejected(head + R"([{"role":"user","content":[{"type":"text","text":"a"},{"text":"b"}]}]})",
                  "messages.0.content.1.type", "messages.0.content.1.type: Field required");
  expect_rejected(head + R"([{"role":"user","content":[{"type":"text"}]}]})", "messages.0.content.0.text",
                  "messages.0.content.0.text: Field required");
  expect_rejected(head + R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"AA"}}]}]})",
                  "messages.0.content.0.source.media_type", "messages.0.content.0.source.media_type: Field required");
  expect_rejected(head + R"([{"role":"user","content":[{"type":"tool_use","id":"t","name":"n","input":{}}]}]})",
                  "messages.0.content.0.type",
                  "messages.0.content.0.type: tool_use blocks are only allowed in assistant messages");
  expect_rejected(head + R"([{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":[]}]}]})",
                  "messages.0.content.0.input", "messages.0.content.0.input: Input should be a valid dictionary");
  expect_rejected(head + R"([{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t"}]}]})",
                  "messages.0.content.0.type",
                  "messages.0.content.0.type: tool_result blocks are only allowed in user messages");
  expect_rejected(
      head + R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text"}]}]}]})",
      "messages.0.content.0.content.0.text", "messages.0.content.0.content.0.text: Field required");
}

// Found by the Anthropic inbound request fuzzer, like the two tests below: a request the
// validator passed whose translation the other vendors' adapters refuse.
TEST(anthropic_inbound_request, an_image_url_source_must_be_a_web_address) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image",)";
  for (const char* bad : {"data:https://example.com/cat.jpg", "data:image/png;base64,AA", "/etc/passwd", "https://"}) {
    expect_rejected(head + R"("source":{"type":"url","url":")" + bad + R"("}}]}]})", "messages.0.content.0.source.url",
                    "messages.0.content.0.source.url: Input should be an http or https URL");
  }
  for (const char* ok : {"https://example.com/cat.jpg", "HTTP://example.com/a.png"}) {
    EXPECT_EQ(rejection(head + R"("source":{"type":"url","url":")" + ok + R"("}}]}]})").message, "") << ok;
  }
}

TEST(anthropic_inbound_request, an_image_media_type_must_be_one_anthropic_documents) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image",)";
  expect_rejected(head + R"("source":{"type":"base64","media_type":"image/pn,g","data":"AA"}}]}]})",
                  "messages.0.content.0.source.media_type",
                  "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                  "'image/webp'");
  expect_rejected(head + R"("source":{"type":"base64","media_type":"image/png","data":""}}]}]})",
                  "messages.0.content.0.source.data",
                  "messages.0.content.0.source.data: String should have at least 1 character");
  for (const char* ok : {"image/jpeg", "image/png", "image/gif", "image/webp"}) {
    EXPECT_EQ(rejection(head + R"("source":{"type":"base64","media_type":")" + ok + R"(","data":"AA"}}]}]})").message,
              "")
        << ok;
  }
}

TEST(anthropic_inbound_request, a_custom_tool_name_must_match_anthropics_pattern) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],"tools":[)";
  const std::string tail = R"(,"input_schema":{"type":"object"}}]})";
  for (const char* bad : {R"("")", R"("has space")", R"("dot.ted")"}) {
    expect_rejected(head + R"({"name":)" + bad + tail, "tools.0.name",
                    "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
  }
  expect_rejected(head + R"({"name":")" + std::string(129, 'a') + '"' + tail, "tools.0.name",
                  "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
  EXPECT_EQ(rejection(head + R"({"name":"get_weather-2")" + tail).message, "");
}

TEST(anthropic_inbound_request, tool_use_ids_must_match_anthropics_pattern) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},)";
  const auto turns = [&](const std::string& use_id, const std::string& result_id) {
    return head + R"({"role":"assistant","content":[{"type":"tool_use","id":")" + use_id +
           R"(","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":")" + result_id +
           R"(","content":"ok"}]}]})";
  };
  for (const char* bad : {"", "has space", "dot.ted"}) {
    expect_rejected(turns(bad, "toolu_1"), "messages.1.content.0.id",
                    "messages.1.content.0.id: String should match pattern '^[a-zA-Z0-9_-]+$'");
    expect_rejected(turns("toolu_1", bad), "messages.2.content.0.tool_use_id",
                    "messages.2.content.0.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'");
  }
  EXPECT_EQ(rejection(turns("toolu_01-A", "toolu_01-A")).message, "");
}

TEST(anthropic_inbound_request, a_forced_tool_must_be_one_of_the_tools) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],)";
  const std::string tools = R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}}],)";
  expect_rejected(head + tools + R"("tool_choice":{"type":"tool","name":""}})", "tool_choice.name",
                  "tool_choice.name: Tool '' is not one of the tools given in 'tools'");
  expect_rejected(head + tools + R"("tool_choice":{"type":"tool","name":"get_time"}})", "tool_choice.name",
                  "tool_choice.name: Tool 'get_time' is not one of the tools given in 'tools'");
  expect_rejected(head + R"("tool_choice":{"type":"tool","name":"get_weather"}})", "tool_choice.name",
                  "tool_choice.name: Tool 'get_weather' is not one of the tools given in 'tools'");
  EXPECT_EQ(rejection(head + tools + R"("tool_choice":{"type":"tool","name":"get_weather"}})").message, "");
}

TEST(anthropic_inbound_request, type_checks_optional_fields) {
  const std::string head = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],)";
  expect_rejected(head + R"("stream":"yes"})", "stream", "stream: Input should be a valid boolean");
  expect_rejected(head + R"("temperature":"hot"})", "temperature", "temperature: Input should be a valid number");
  expect_rejected(head + R"("top_k":0.5})", "top_k", "top_k: Input should be a valid integer");
  expect_rejected(head + R"("stop_sequences":["a",1]})", "stop_sequences.1",
                  "stop_sequences.1: Input should be a valid string");
  expect_rejected(head + R"("metadata":{"user_id":5}})", "metadata.user_id",
                  "metadata.user_id: Input should be a valid string");
  expect_rejected(head + R"("system":[{"type":"image"}]})", "system.0.type", "system.0.type: Input should be 'text'");
  expect_rejected(head + R"("tools":[{"name":"t"}]})", "tools.0.input_schema", "tools.0.input_schema: Field required");
  expect_rejected(head + R"("tool_choice":{"type":"sometimes"}})", "tool_choice.type",
                  "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  expect_rejected(head + R"("tool_choice":{"type":"tool"}})", "tool_choice.name", "tool_choice.name: Field required");
  // Integers are numbers; null means absent.
  EXPECT_TRUE(parse_messages_request(head + R"("temperature":1,"top_p":null,"system":null})").has_value());
}

TEST(anthropic_inbound_request, leaves_anthropic_only_features_to_anthropic_but_refuses_to_translate_them) {
  // Valid for Anthropic (so a request routed there passes), not expressible for an OpenAI-shaped vendor.
  const std::string document = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}]}]})";
  EXPECT_TRUE(parse_messages_request(document).has_value());
  auto r = messages_to_openai(document);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().param, "messages.0.content.0.type");
  EXPECT_TRUE(r.error().message.starts_with("messages.0.content.0.type: a 'document' block is not supported"))
      << r.error().message;

  const std::string server_tool = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],
      "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}]})";
  EXPECT_TRUE(parse_messages_request(server_tool).has_value());
  auto t = messages_to_openai(server_tool);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().param, "tools.0.type");

  const std::string file_image = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
      {"type":"image","source":{"type":"file","file_id":"file_1"}}]}]})";
  EXPECT_TRUE(parse_messages_request(file_image).has_value());
  auto f = messages_to_openai(file_image);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().param, "messages.0.content.0.source.type");
}

TEST(anthropic_inbound_request, accepts_deeply_nested_tool_schemas) {
  std::string schema = R"({"type":"string"})";
  for (int i = 0; i < 50; ++i) schema = R"({"type":"array","items":)" + schema + "}";
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],
      "tools":[{"name":"deep","input_schema":)" +
                                   schema + "}]}");
  ASSERT_TRUE(o.contains("tools"));
  EXPECT_EQ(o.at("tools").at(0).at("function").at("parameters"), json::parse(schema, {}, {.max_depth = 128}));
}

TEST(anthropic_inbound_request, translation_also_validates) {
  auto r = messages_to_openai(R"({"model":"m","messages":[{"role":"user","content":"a"}]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().param, "max_tokens");
}

TEST(anthropic_inbound_request, drops_tool_choice_and_parallel_flag_without_tools) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],
      "tools":[],"tool_choice":{"type":"any","disable_parallel_tool_use":true}})");
  EXPECT_FALSE(o.contains("tools"));
  EXPECT_FALSE(o.contains("tool_choice"));
  EXPECT_FALSE(o.contains("parallel_tool_calls"));
}

TEST(anthropic_inbound_request, keeps_parallel_tool_calls_unset_unless_disabled) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}],
      "tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":false}})");
  EXPECT_EQ(o.at("tool_choice"), "auto");
  EXPECT_FALSE(o.contains("parallel_tool_calls"));
}

TEST(anthropic_inbound_request, assistant_with_only_tool_use_has_null_content) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"messages":[
      {"role":"user","content":"a"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{"x":[1,2]}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]})");
  const auto& messages = o.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_TRUE(messages[1].at("content").is_null());
  EXPECT_EQ(messages[1].at("tool_calls").at(0).at("function").at("arguments"), R"({"x":[1,2]})");
  // A tool_result without content, and no other user content: one tool message, no empty user message.
  EXPECT_EQ(messages[2], json::parse(R"({"role":"tool","tool_call_id":"toolu_1","content":""})"));
}

TEST(anthropic_inbound_request, error_result_without_text_still_says_error) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"messages":[
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":[]}]}]})");
  EXPECT_EQ(o.at("messages").at(0).at("content"), "Error");
}

TEST(anthropic_inbound_request, skips_messages_left_empty_and_empty_system) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"system":"","stream":false,"messages":[
      {"role":"user","content":"a"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"}]},
      {"role":"user","content":"b"}]})");
  const auto& messages = o.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("content"), "a");
  EXPECT_EQ(messages[1].at("content"), "b");
  EXPECT_FALSE(o.contains("stream"));
  EXPECT_FALSE(o.contains("stream_options"));
}

TEST(anthropic_inbound_request, drops_empty_stop_sequences_and_user_id) {
  const json::object o = to_openai(R"({"model":"m","max_tokens":5,"stop_sequences":[],"metadata":{"user_id":null},
      "messages":[{"role":"user","content":"a"}]})");
  EXPECT_FALSE(o.contains("stop"));
  EXPECT_FALSE(o.contains("user"));
}

}  // namespace
}  // namespace llmgw::providers
