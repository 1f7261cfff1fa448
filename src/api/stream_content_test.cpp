#include "api/stream_content.hpp"

#include <gtest/gtest.h>

namespace llmgw::api {
namespace {

TEST(stream_content, openai_chunks_with_text_or_tool_calls_are_content_role_and_empty_ones_are_not) {
  EXPECT_FALSE(openai_chunk_has_content(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})"));
  EXPECT_FALSE(openai_chunk_has_content(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})"));
  EXPECT_FALSE(openai_chunk_has_content(R"({"choices":[],"usage":{"prompt_tokens":3}})"));
  EXPECT_FALSE(openai_chunk_has_content(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"));
  EXPECT_TRUE(openai_chunk_has_content(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})"));
  EXPECT_TRUE(openai_chunk_has_content(R"({"choices":[{"delta":{"reasoning_content":"think"}}]})"));
  EXPECT_TRUE(openai_chunk_has_content(
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":""}}]}}]})"));
  EXPECT_FALSE(openai_chunk_has_content("not json \"delta\""));
  // The pre-check's cases: null, "" and [] carry nothing; a key elsewhere is settled by the parse.
  EXPECT_FALSE(openai_chunk_has_content(
      R"({"choices":[{"delta":{"role":"assistant","content" : "","refusal":null,"tool_calls":[ ]}}]})"));
  EXPECT_FALSE(openai_chunk_has_content(R"({"choices":[{"delta":{},"logprobs":{"content":[{"token":"x"}]}}]})"));
  EXPECT_TRUE(openai_chunk_has_content(R"({"choices":[{"delta":{"refusal":"no"}}]})"));
}

TEST(stream_content, anthropic_deltas_and_tool_use_starts_are_content_message_start_and_pings_are_not) {
  EXPECT_FALSE(anthropic_event_has_content("message_start", R"({"type":"message_start","message":{}})"));
  EXPECT_FALSE(anthropic_event_has_content("ping", R"({"type":"ping"})"));
  EXPECT_FALSE(anthropic_event_has_content(
      "content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"));
  EXPECT_TRUE(anthropic_event_has_content(
      "content_block_start",
      R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}})"));
  EXPECT_FALSE(anthropic_event_has_content(
      "content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}})"));
  EXPECT_TRUE(anthropic_event_has_content(
      "content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}})"));
  EXPECT_TRUE(anthropic_event_has_content(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}})"));
}

TEST(stream_content, the_probe_reads_events_split_anywhere_until_content) {
  content_probe p(client_api::openai, "vendor");
  const std::string role = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n";
  const std::string text = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n";
  EXPECT_FALSE(p.feed(role));
  EXPECT_FALSE(p.feed(text.substr(0, 10)));
  EXPECT_TRUE(p.feed(text.substr(10)));
  EXPECT_TRUE(p.seen());
  EXPECT_FALSE(p.error());
}

TEST(stream_content, an_error_event_before_content_is_reported_with_the_status_it_stands_for) {
  content_probe openai(client_api::openai, "vendor");
  EXPECT_FALSE(openai.feed("data: {\"error\":{\"message\":\"busy\",\"type\":\"rate_limit_exceeded\"}}\n\n"));
  ASSERT_TRUE(openai.error());
  EXPECT_EQ(openai.error_status(), 429);
  EXPECT_EQ(openai.error()->message, "busy");

  content_probe anthropic(client_api::anthropic, "claude");
  EXPECT_FALSE(
      anthropic.feed("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n"
                     "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                     "\"message\":\"Overloaded\"}}\n\n"));
  ASSERT_TRUE(anthropic.error());
  EXPECT_EQ(anthropic.error_status(), 529);
  EXPECT_EQ(anthropic.error()->message, "Overloaded");
}

}  // namespace
}  // namespace llmgw::api
