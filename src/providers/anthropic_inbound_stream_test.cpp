// The stream writer's state: when the message ends, what an error looks
// like, and the vendor quirks the golden streams do not show.
#include "providers/anthropic_inbound.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmgw::providers {
namespace {

std::string chunk(std::string_view choice_json, std::string_view usage_json = "null") {
  std::string s = R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"x","choices":[)";
  s.append(choice_json).append(R"(],"usage":)").append(usage_json).append("}\n\n");
  return s;
}

std::string delta(std::string_view delta_json, std::string_view finish = "null") {
  std::string s = R"({"index":0,"delta":)";
  s.append(delta_json).append(R"(,"finish_reason":)").append(finish).append("}");
  return chunk(s);
}

const std::string k_done = "data: [DONE]\n\n";
const std::string k_usage = chunk("", R"({"prompt_tokens":5,"completion_tokens":2,"total_tokens":7})");

// The "type" of each event in `out`, in order.
std::vector<std::string> types(const std::string& out) {
  std::vector<std::string> names;
  for (std::size_t at = out.find("event: "); at != std::string::npos; at = out.find("\nevent: ", at + 1)) {
    const std::size_t begin = out.find("event: ", at) + 7;
    names.push_back(out.substr(begin, out.find('\n', begin) - begin));
  }
  return names;
}

using names = std::vector<std::string>;

TEST(anthropic_inbound_stream, completes_and_reports_usage) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(delta(R"({"content":"Hi"})") + delta("{}", R"("stop")") + k_usage + k_done, out);
  EXPECT_TRUE(w.completed());
  EXPECT_FALSE(w.failed());
  ASSERT_TRUE(w.usage().has_value());
  EXPECT_EQ(w.usage()->prompt_tokens, 5);
  EXPECT_EQ(w.usage()->completion_tokens, 2);
  EXPECT_EQ(types(out), (names{"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                               "message_delta", "message_stop"}));
  std::string after;
  w.feed(delta(R"({"content":"late"})"), after);
  w.finish(after);
  EXPECT_EQ(after, "");
}

TEST(anthropic_inbound_stream, holds_message_delta_until_the_usage_chunk) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(delta(R"({"content":"Hi"})") + delta("{}", R"("length")"), out);
  EXPECT_FALSE(w.completed());
  EXPECT_EQ(types(out).back(), "content_block_stop");
  out.clear();
  w.feed(k_usage, out);
  EXPECT_TRUE(w.completed());
  EXPECT_NE(out.find(R"("stop_reason":"max_tokens")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("input_tokens":5,)"), std::string::npos) << out;
  // Usage arrived: the stream may end without [DONE] and that is no error.
  out.clear();
  w.finish(out);
  EXPECT_EQ(out, "");
}

TEST(anthropic_inbound_stream, usage_in_the_finish_chunk_ends_the_message_at_once) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(chunk(R"({"index":0,"delta":{"content":"x"},"finish_reason":"stop"})",
               R"({"prompt_tokens":1,"completion_tokens":1})"),
         out);
  EXPECT_TRUE(w.completed());
  EXPECT_EQ(types(out).back(), "message_stop");
}

TEST(anthropic_inbound_stream, finish_without_usage_or_done_is_an_error) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(delta(R"({"content":"Hi"})") + delta("{}", R"("stop")"), out);
  out.clear();
  w.finish(out);
  EXPECT_TRUE(w.failed());
  EXPECT_FALSE(w.completed());
  EXPECT_EQ(out,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
            "\"message\":\"upstream stream ended early\"}}\n\n");
}

TEST(anthropic_inbound_stream, an_empty_body_is_only_an_error) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.finish(out);
  EXPECT_EQ(types(out), (names{"error"}));
}

TEST(anthropic_inbound_stream, done_alone_makes_a_complete_empty_message) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(k_done, out);
  EXPECT_TRUE(w.completed());
  EXPECT_FALSE(w.usage().has_value());
  EXPECT_EQ(types(out), (names{"message_start", "message_delta", "message_stop"}));
  EXPECT_NE(out.find(R"("usage":{"output_tokens":0})"), std::string::npos) << out;
}

TEST(anthropic_inbound_stream, undecodable_event_is_an_error) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed("data: {not json\n\n" + delta(R"({"content":"Hi"})"), out);
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(types(out), (names{"error"}));
  EXPECT_NE(out.find("invalid stream event"), std::string::npos);
}

TEST(anthropic_inbound_stream, maps_vendor_error_types) {
  struct example {
    std::string event;
    std::string expected;
  };
  const std::vector<example> examples = {
      {R"(data: {"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})",
       R"("type":"rate_limit_error","message":"slow down")"},
      {R"(data: {"error":{"message":"busy","type":"overloaded_error"}})",
       R"("type":"overloaded_error","message":"busy")"},
      {R"(data: {"error":{"message":"bad","type":"invalid_request_error"}})",
       R"("type":"invalid_request_error","message":"bad")"},
      {R"(data: {"error":"plain text"})", R"("type":"api_error","message":"plain text")"},
      {R"(data: {"error":{}})", R"("type":"api_error","message":"upstream stream error")"},
  };
  for (const auto& e : examples) {
    messages_stream_writer w("msg_1", "m");
    std::string out;
    w.feed(e.event + "\n\n", out);
    EXPECT_TRUE(w.failed()) << e.event;
    EXPECT_NE(out.find(e.expected), std::string::npos) << out;
  }
}

TEST(anthropic_inbound_stream, tool_call_sent_whole_with_stop_finish) {
  // Servers that send a call in one chunk, without id, and finish with "stop".
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(delta(R"({"tool_calls":[{"function":{"name":"f","arguments":"{\"a\":1}"}}]})") + delta("{}", R"("stop")") +
             k_done,
         out);
  EXPECT_EQ(types(out), (names{"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                               "message_delta", "message_stop"}));
  EXPECT_NE(out.find(R"("content_block":{"type":"tool_use","id":"toolu_msg_1_0","name":"f","input":{}})"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("partial_json":"{\"a\":1}")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("stop_reason":"tool_use")"), std::string::npos) << out;
}

TEST(anthropic_inbound_stream, text_after_a_tool_call_opens_a_new_block) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(delta(R"({"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":""}}]})") +
             delta(R"({"content":"and then"})"),
         out);
  EXPECT_EQ(types(out), (names{"message_start", "content_block_start", "content_block_stop", "content_block_start",
                               "content_block_delta"}));
  EXPECT_NE(out.find(R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})"),
            std::string::npos)
      << out;
}

TEST(anthropic_inbound_stream, only_the_first_choice_is_streamed_and_refusals_are_text) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(chunk(R"({"index":1,"delta":{"content":"other choice"},"finish_reason":null})"), out);
  w.feed(delta(R"({"refusal":"No."})"), out);
  EXPECT_EQ(out.find("other choice"), std::string::npos);
  EXPECT_NE(out.find(R"("text_delta","text":"No.")"), std::string::npos) << out;
}

TEST(anthropic_inbound_stream, ignores_comments_and_events_without_data) {
  messages_stream_writer w("msg_1", "m");
  std::string out;
  w.feed(": ping\n\nevent: keepalive\n\n\n", out);
  EXPECT_EQ(out, "");
  EXPECT_FALSE(w.failed());
}

}  // namespace
}  // namespace llmgw::providers
