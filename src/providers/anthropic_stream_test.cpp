#include <gtest/gtest.h>

#include <string>

#include "providers/anthropic.hpp"

namespace llmgw::providers {
namespace {

constexpr std::string_view k_text_stream =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-haiku-20240307","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"cache_read_input_tokens":4,"output_tokens":1}}})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
    "\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"h\u00e9llo \ud83d\ude00"}})"
    "\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}})"
    "\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

std::unique_ptr<stream_translator> translator(bool include_usage = true) {
  stream_options o;
  o.requested_model = "m";
  o.include_usage = include_usage;
  o.id = "chatcmpl-x";
  o.created = 1;
  return anthropic_provider().translate_stream(o);
}

std::string run_whole(std::string_view input, stream_translator& t) {
  std::string out;
  t.feed(input, out);
  t.finish(out);
  return out;
}

TEST(AnthropicStream, EverySplitPointGivesTheSameOutput) {
  auto reference = translator();
  const std::string whole = run_whole(k_text_stream, *reference);
  ASSERT_FALSE(reference->error());
  ASSERT_TRUE(whole.ends_with("data: [DONE]\n\n"));
  for (std::size_t cut = 0; cut <= k_text_stream.size(); ++cut) {
    auto t = translator();
    std::string out;
    t->feed(k_text_stream.substr(0, cut), out);
    t->feed(k_text_stream.substr(cut), out);
    t->finish(out);
    ASSERT_EQ(out, whole) << "split at " << cut;
  }
  auto bytes = translator();
  std::string out;
  for (char c : k_text_stream) bytes->feed(std::string_view(&c, 1), out);
  bytes->finish(out);
  EXPECT_EQ(out, whole);
}

TEST(AnthropicStream, ReportsUsageIncludingCacheReads) {
  auto t = translator();
  run_whole(k_text_stream, *t);
  ASSERT_TRUE(t->usage());
  EXPECT_EQ(t->usage()->prompt_tokens, 15);
  EXPECT_EQ(t->usage()->cached_tokens, 4);
  EXPECT_EQ(t->usage()->completion_tokens, 6);
}

TEST(AnthropicUsageReader, ReadsTheSameUsageAsTheTranslatorAtEverySplit) {
  auto t = translator();
  run_whole(k_text_stream, *t);
  ASSERT_TRUE(t->usage());
  for (std::size_t cut = 0; cut <= k_text_stream.size(); ++cut) {
    anthropic_usage_reader reader;
    reader.feed(k_text_stream.substr(0, cut));
    reader.feed(k_text_stream.substr(cut));
    ASSERT_TRUE(reader.usage()) << "split at " << cut;
    EXPECT_EQ(*reader.usage(), *t->usage()) << "split at " << cut;
  }
  anthropic_usage_reader none;
  none.feed("event: ping\ndata: {\"type\":\"ping\"}\n\n");
  EXPECT_FALSE(none.usage());
}

TEST(AnthropicUsageReader, WholeMessageUsage) {
  const auto u = anthropic_message_usage(
      R"({"type":"message","content":[],"usage":{"input_tokens":10,"output_tokens":3,"cache_read_input_tokens":4}})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->completion_tokens, 3);
  EXPECT_EQ(u->cached_tokens, 4);
  EXPECT_EQ(u->prompt_tokens, 14);
  EXPECT_FALSE(anthropic_message_usage("not json"));
}

TEST(AnthropicStream, EventsAreEmittedAsSoonAsTheyAreComplete) {
  auto t = translator();
  std::string out;
  const auto first_delta_end = k_text_stream.find("ude00\"}}\n\n") + 10;
  t->feed(k_text_stream.substr(0, first_delta_end), out);
  EXPECT_NE(out.find("h\xC3\xA9llo \xF0\x9F\x98\x80"), std::string::npos) << out;
}

TEST(AnthropicStream, CutBeforeMessageStopIsAnErrorWithoutDone) {
  const auto stop = k_text_stream.find("event: message_stop");
  auto t = translator();
  const std::string out = run_whole(k_text_stream.substr(0, stop), *t);
  ASSERT_TRUE(t->error());
  EXPECT_EQ(t->error()->status, 502);
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  EXPECT_EQ(out.find("finish_reason\":\"stop"), std::string::npos);
}

TEST(AnthropicStream, EmptyBodyIsAnError) {
  auto t = translator();
  const std::string out = run_whole("", *t);
  ASSERT_TRUE(t->error());
  EXPECT_TRUE(out.empty());
}

TEST(AnthropicStream, UndecodableDataIsAnErrorAndStopsTheStream) {
  auto t = translator();
  std::string out;
  t->feed("event: message_start\ndata: {not json\n\n", out);
  ASSERT_TRUE(t->error());
  EXPECT_EQ(t->error()->status, 502);
  t->feed(k_text_stream, out);
  t->finish(out);
  EXPECT_TRUE(out.empty()) << out;
}

TEST(AnthropicStream, ErrorEventsMapLikeHttpErrors) {
  struct expectation {
    std::string_view type;
    int status;
  };
  for (auto [type, status] : {expectation{"overloaded_error", 503}, expectation{"rate_limit_error", 429},
                              expectation{"api_error", 500}, expectation{"invalid_request_error", 400}}) {
    auto t = translator();
    std::string out;
    t->feed("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"" + std::string(type) +
                "\",\"message\":\"boom\"}}\n\n",
            out);
    t->finish(out);
    ASSERT_TRUE(t->error()) << type;
    EXPECT_EQ(t->error()->status, status) << type;
    EXPECT_EQ(t->error()->message, "boom");
    EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  }
}

TEST(AnthropicStream, WithoutIncludeUsageThereIsNoUsageChunk) {
  auto t = translator(false);
  const std::string out = run_whole(k_text_stream, *t);
  EXPECT_EQ(out.find("\"usage\""), std::string::npos);
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
  EXPECT_TRUE(t->usage());  // still known to the gateway for accounting
}

}  // namespace
}  // namespace llmgw::providers
