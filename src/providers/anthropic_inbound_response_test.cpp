// Non-streamed responses and error bodies beyond the golden fixtures.
#include "providers/anthropic_inbound.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace llmgw::providers {
namespace {

namespace json = boost::json;

json::object respond(std::string_view openai_body) {
  auto r = openai_to_messages_response(openai_body, "test-model");
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? json::parse(*r).as_object() : json::object{};
}

TEST(anthropic_inbound_response, message_ids_are_fresh_and_shaped_like_anthropic_ones) {
  const std::string a = new_message_id();
  const std::string b = new_message_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 4u + 24u);
  EXPECT_TRUE(a.starts_with("msg_"));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 4), std::string::npos) << a;
}

TEST(anthropic_inbound_response, maps_every_finish_reason) {
  EXPECT_EQ(anthropic_stop_reason("stop"), "end_turn");
  EXPECT_EQ(anthropic_stop_reason("length"), "max_tokens");
  EXPECT_EQ(anthropic_stop_reason("tool_calls"), "tool_use");
  EXPECT_EQ(anthropic_stop_reason("function_call"), "tool_use");
  EXPECT_EQ(anthropic_stop_reason("content_filter"), "refusal");
  EXPECT_EQ(anthropic_stop_reason("something_new"), "end_turn");
}

TEST(anthropic_inbound_response, a_body_that_is_not_a_completion_is_a_bad_gateway) {
  for (std::string_view body : {"", "not json", "[]", R"({"object":"list"})", R"({"choices":{}})"}) {
    auto r = openai_to_messages_response(body, "m");
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().status, 502) << body;
  }
}

TEST(anthropic_inbound_response, content_filter_becomes_refusal_and_refusal_text_is_kept) {
  const json::object o = respond(R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,
      "refusal":"I can't help with that."},"finish_reason":"content_filter"}]})");
  EXPECT_EQ(o.at("stop_reason"), "refusal");
  EXPECT_EQ(o.at("content"), json::parse(R"([{"type":"text","text":"I can't help with that."}])"));
  // No usage in the body: zeros, never missing fields.
  EXPECT_EQ(o.at("usage"), json::parse(R"({"input_tokens":0,"cache_creation_input_tokens":0,
      "cache_read_input_tokens":0,"output_tokens":0})"));
}

TEST(anthropic_inbound_response, tool_calls_finished_with_stop_still_end_with_tool_use) {
  const json::object o = respond(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"",
      "tool_calls":[{"type":"function","function":{"name":"f","arguments":"[1]"}}]},"finish_reason":"stop"}]})");
  EXPECT_EQ(o.at("stop_reason"), "tool_use");
  // Empty text makes no block; a missing id is made up; non-object input becomes {}.
  EXPECT_EQ(o.at("content"), json::parse(R"([{"type":"tool_use","id":"toolu_0","name":"f","input":{}}])"));
}

TEST(anthropic_inbound_response, empty_reply_has_no_content_blocks) {
  const json::object o =
      respond(R"({"choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":null}]})");
  EXPECT_TRUE(o.at("content").as_array().empty());
  EXPECT_EQ(o.at("stop_reason"), "end_turn");
  EXPECT_TRUE(o.at("stop_sequence").is_null());
  EXPECT_EQ(o.at("model"), "test-model");
}

TEST(anthropic_inbound_response, joins_text_parts_of_servers_that_send_a_list) {
  const json::object o = respond(R"({"choices":[{"message":{"role":"assistant","content":[
      {"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"stop"}]})");
  EXPECT_EQ(o.at("content").at(0).at("text"), "Hello");
}

TEST(anthropic_inbound_response, reports_usage_to_the_caller) {
  token_usage u;
  auto r = openai_to_messages_response(R"({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,
      "prompt_tokens_details":{"cached_tokens":6}}})",
                                       "m", &u);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(u.prompt_tokens, 10);
  EXPECT_EQ(u.completion_tokens, 4);
  EXPECT_EQ(u.total_tokens, 14);
  EXPECT_EQ(u.cached_tokens, 6);
}

TEST(anthropic_inbound_response, usage_never_goes_negative) {
  std::string out;
  token_usage u;
  u.prompt_tokens = 3;
  u.cached_tokens = 9;  // a vendor reporting more cached than prompt tokens
  u.completion_tokens = 1;
  append_anthropic_usage(out, u);
  EXPECT_EQ(out, R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":3,"output_tokens":1})");
}

TEST(anthropic_inbound_errors, types_follow_anthropic_statuses) {
  EXPECT_EQ(anthropic_error_type_for(400), "invalid_request_error");
  EXPECT_EQ(anthropic_error_type_for(405), "invalid_request_error");
  EXPECT_EQ(anthropic_error_type_for(431), "invalid_request_error");
  EXPECT_EQ(anthropic_error_type_for(404), "not_found_error");
  EXPECT_EQ(anthropic_error_type_for(501), "api_error");
  EXPECT_EQ(anthropic_error_type_for(503), "overloaded_error");
  EXPECT_EQ(anthropic_error_type_for(529), "overloaded_error");
}

TEST(anthropic_inbound_errors, a_status_that_is_not_an_error_becomes_500) {
  gateway_error e;
  e.status = 0;
  e.message = "oops";
  EXPECT_EQ(anthropic_status_for(e), 500);
  EXPECT_EQ(render_anthropic_error(e), R"({"type":"error","error":{"type":"api_error","message":"oops"}})");
  e.status = 200;
  EXPECT_EQ(anthropic_status_for(e), 500);
}

TEST(anthropic_inbound_errors, escapes_the_message) {
  gateway_error e = invalid_request("messages.0.content: \"quoted\"\nline");
  EXPECT_EQ(
      render_anthropic_error(e),
      R"({"type":"error","error":{"type":"invalid_request_error","message":"messages.0.content: \"quoted\"\nline"}})");
}

}  // namespace
}  // namespace llmgw::providers
