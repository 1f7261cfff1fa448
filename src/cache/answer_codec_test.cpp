#include "cache/answer_codec.hpp"

#include <gtest/gtest.h>

namespace llmgw::cache {
namespace {

using namespace std::chrono_literals;

const std::string k_openai_body =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})";

TEST(answer_codec, an_openai_json_answer_keeps_its_bytes_and_its_time) {
  auto a = answer_from_openai_json(k_openai_body);
  ASSERT_TRUE(a);
  const auto at = std::chrono::system_clock::time_point(1'700'000'000s);
  const auto d = decode_answer(encode_answer(*a, at));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->stored_at, at);
  EXPECT_EQ(d->answer.json_body, k_openai_body);
  EXPECT_EQ(render_openai_json(d->answer), k_openai_body);
  EXPECT_EQ(d->answer.completion.content, "Hello there");
}

TEST(answer_codec, a_streamed_answer_comes_back_without_json_bytes_to_replay) {
  auto a = answer_from_openai_json(k_openai_body);
  ASSERT_TRUE(a);
  a->json_body.clear();  // as a stream assembles it
  const auto d = decode_answer(encode_answer(*a, std::chrono::system_clock::now()));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->answer.json_body.empty());
  EXPECT_EQ(d->answer.completion.content, "Hello there");
  EXPECT_EQ(d->answer.completion.finish_reason, "stop");
}

TEST(answer_codec, an_anthropic_answer_keeps_its_bytes) {
  const std::string body =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text",)"
      R"("text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}})";
  auto a = answer_from_anthropic_json(body);
  ASSERT_TRUE(a);
  const auto d = decode_answer(encode_answer(*a, std::chrono::system_clock::now()));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->answer.json_api, answer_api::anthropic);
  EXPECT_EQ(render_anthropic_json(d->answer), body);
}

TEST(answer_codec, a_json_hit_in_the_api_it_was_sent_in_reads_only_the_stored_bytes) {
  auto a = answer_from_openai_json(k_openai_body);
  ASSERT_TRUE(a);
  const std::string bytes = encode_answer(*a, std::chrono::system_clock::time_point(1'700'000'000s));
  const auto replay = decode_answer(bytes, rendering{answer_api::openai, false});
  ASSERT_TRUE(replay);
  EXPECT_EQ(render_openai_json(replay->answer), k_openai_body);
  EXPECT_EQ(replay->stored_at, std::chrono::system_clock::time_point(1'700'000'000s));
  EXPECT_FALSE(replay->answer.completion.content);  // not rebuilt: nothing needs it
  // A stream, or the other API, is rendered from the whole answer.
  for (const rendering as : {rendering{answer_api::openai, true}, rendering{answer_api::anthropic, false}}) {
    const auto whole = decode_answer(bytes, as);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->answer.completion.content, "Hello there");
  }
  // An answer assembled from a stream holds no bytes to replay as sent.
  a->json_body.clear();
  const auto streamed = decode_answer(encode_answer(*a, std::chrono::system_clock::now()), rendering{});
  ASSERT_TRUE(streamed);
  EXPECT_TRUE(streamed->answer.json_body.empty());
  EXPECT_EQ(streamed->answer.completion.content, "Hello there");
  // What is not a JSON object is never replayed.
  EXPECT_FALSE(decode_answer("llmgw-answer-1\n1\no\nnot json", rendering{}));
}

TEST(answer_codec, bytes_of_another_version_or_cut_short_are_no_answer) {
  auto a = answer_from_openai_json(k_openai_body);
  ASSERT_TRUE(a);
  const std::string good = encode_answer(*a, std::chrono::system_clock::now());
  EXPECT_FALSE(decode_answer("llmgw-answer-2\n1\no\n{}"));
  EXPECT_FALSE(decode_answer(good.substr(0, 20)));
  EXPECT_FALSE(decode_answer(""));
  std::string bad_kind = good;
  bad_kind[bad_kind.find("\no\n") + 1] = 'x';
  EXPECT_FALSE(decode_answer(bad_kind));
}

}  // namespace
}  // namespace llmgw::cache
