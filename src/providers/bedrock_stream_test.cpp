#include <gtest/gtest.h>

#include <string>

#include "core/eventstream.hpp"
#include "providers/bedrock.hpp"

namespace llmgw::providers {
namespace {

void event(std::string& out, std::string_view type, std::string_view payload) {
  eventstream::append_event_message(
      out, {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}}, payload);
}

std::string tool_stream() {
  std::string s;
  event(s, "messageStart", R"({"role":"assistant"})");
  event(s, "contentBlockStart", R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t1","name":"f"}}})");
  event(s, "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"a\":"}}})");
  event(s, "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"1}"}}})");
  event(s, "contentBlockStop", R"({"contentBlockIndex":0})");
  event(s, "messageStop", R"({"stopReason":"tool_use"})");
  event(s, "metadata", R"({"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}})");
  return s;
}

struct run {
  std::string out;
  std::unique_ptr<stream_translator> t;
};

run translate(std::string_view input, std::size_t piece, bool include_usage = true) {
  stream_options o;
  o.requested_model = "m";
  o.include_usage = include_usage;
  o.id = "chatcmpl-x";
  o.created = 1;
  run r{{}, make_bedrock_stream_translator(o)};
  for (std::size_t at = 0; at < input.size(); at += piece) r.t->feed(input.substr(at, piece), r.out);
  r.t->finish(r.out);
  return r;
}

TEST(bedrock_stream, byte_by_byte_equals_whole) {
  const std::string input = tool_stream();
  const auto whole = translate(input, input.size());
  const auto bytes = translate(input, 1);
  EXPECT_EQ(whole.out, bytes.out);
  EXPECT_FALSE(whole.t->error());
  EXPECT_NE(whole.out.find(R"("tool_calls":[{"index":0,"id":"t1")"), std::string::npos);
  EXPECT_NE(whole.out.find(R"("finish_reason":"tool_calls")"), std::string::npos);
  EXPECT_TRUE(whole.out.ends_with("data: [DONE]\n\n"));
  ASSERT_TRUE(whole.t->usage());
  EXPECT_EQ(whole.t->usage()->total_tokens, 7);
}

TEST(bedrock_stream, no_usage_chunk_unless_asked) {
  const auto r = translate(tool_stream(), 64, false);
  EXPECT_EQ(r.out.find(R"("usage")"), std::string::npos);
  ASSERT_TRUE(r.t->usage());  // still known to the gateway for accounting
}

TEST(bedrock_stream, exception_ends_the_stream_without_done) {
  std::string s;
  event(s, "messageStart", R"({"role":"assistant"})");
  eventstream::append_event_message(s,
                                    {{":exception-type", "modelStreamErrorException"}, {":message-type", "exception"}},
                                    R"({"message":"model failed","originalStatusCode":500})");
  event(s, "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"late"}})");
  const auto r = translate(s, 7);
  ASSERT_TRUE(r.t->error());
  EXPECT_EQ(r.t->error()->status, 502);
  EXPECT_EQ(r.t->error()->message, "model failed");
  EXPECT_EQ(r.out.find("late"), std::string::npos);
  EXPECT_EQ(r.out.find("[DONE]"), std::string::npos);
}

TEST(bedrock_stream, error_messages_and_bad_payloads_fail) {
  std::string error_message;
  eventstream::append_event_message(error_message, {{":message-type", "error"}, {":error-code", "InternalFailure"}},
                                    "");
  EXPECT_TRUE(translate(error_message, 5).t->error());

  std::string bad_json;
  event(bad_json, "contentBlockDelta", "{not json");
  EXPECT_TRUE(translate(bad_json, 5).t->error());
}

TEST(bedrock_stream, corrupt_or_cut_frames_fail) {
  std::string corrupt = tool_stream();
  corrupt[9] ^= 0x40;  // the first prelude CRC
  const auto r = translate(corrupt, 100);
  ASSERT_TRUE(r.t->error());
  EXPECT_EQ(r.t->error()->status, 502);
  EXPECT_EQ(r.out, "");

  std::string cut = tool_stream();
  cut.resize(cut.size() - 3);  // messageStop arrived, metadata did not finish
  const auto c = translate(cut, 100);
  ASSERT_TRUE(c.t->error());
  EXPECT_EQ(c.out.find("[DONE]"), std::string::npos);
}

TEST(bedrock_stream, deltas_for_unknown_blocks_are_ignored) {
  std::string s;
  event(s, "messageStart", R"({"role":"assistant"})");
  event(s, "contentBlockDelta", R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}})");
  event(s, "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm"}}})");
  event(s, "messageStop", R"({"stopReason":"end_turn"})");
  const auto r = translate(s, s.size());
  EXPECT_FALSE(r.t->error());
  EXPECT_EQ(r.out.find("tool_calls"), std::string::npos);
  EXPECT_EQ(r.out.find("hmm"), std::string::npos);
  EXPECT_NE(r.out.find(R"("finish_reason":"stop")"), std::string::npos);
}

}  // namespace
}  // namespace llmgw::providers
