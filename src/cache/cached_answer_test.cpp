#include "cache/cached_answer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/sse_reader.hpp"

namespace llmgw::cache {
namespace {

namespace json = boost::json;

const char* k_openai = R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini",
  "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there","refusal":null},"finish_reason":"stop"}],
  "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})";

const char* k_openai_tool = R"({"id":"c","object":"chat.completion","created":1,"model":"gpt-4o-mini",
  "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
  "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]})";

std::vector<json::value> events_of(std::string_view stream) {
  sse_reader r;
  r.feed(stream);
  r.finish();
  sse_event e;
  std::vector<json::value> out;
  while (r.next(e)) {
    if (e.data == "[DONE]") {
      out.emplace_back("[DONE]");
    } else if (e.has_data) {
      out.push_back(json::parse(e.data));
    }
  }
  return out;
}

TEST(cached_answer, from_openai_json_and_back_is_the_same_bytes) {
  const auto a = answer_from_openai_json(k_openai);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->model, "gpt-4o-mini");
  EXPECT_EQ(*a->completion.content, "Hi there");
  EXPECT_EQ(a->completion.finish_reason, "stop");
  EXPECT_EQ(render_openai_json(*a), k_openai);
  // Another API: rendered from the neutral form.
  const json::value m = json::parse(render_anthropic_json(*a));
  EXPECT_EQ(m.at("type"), "message");
  EXPECT_EQ(m.at("content").at(0).at("text"), "Hi there");
  EXPECT_EQ(m.at("stop_reason"), "end_turn");
}

TEST(cached_answer, refuses_what_it_cannot_hold) {
  EXPECT_FALSE(answer_from_openai_json(R"({"error":{"message":"x"}})"));
  EXPECT_FALSE(answer_from_openai_json("not json"));
  EXPECT_FALSE(answer_from_openai_json(R"({"model":"m","choices":[
    {"index":0,"message":{"content":"a"},"finish_reason":"stop"},{"index":1,"message":{"content":"b"},"finish_reason":"stop"}]})"));
  EXPECT_FALSE(answer_from_openai_json(
      R"({"model":"m","choices":[{"index":0,"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]})"));
  EXPECT_FALSE(answer_from_anthropic_json(R"({"type":"error","error":{"type":"api_error","message":"x"}})"));
  EXPECT_FALSE(answer_from_anthropic_json(R"({"type":"message","model":"c","stop_reason":"end_turn",
    "content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"a"}]})"));
}

TEST(cached_answer, length_is_stored_only_when_configured) {
  auto a = answer_from_openai_json(k_openai);
  ASSERT_TRUE(a);
  EXPECT_TRUE(storable(*a, false));
  a->completion.finish_reason = "length";
  EXPECT_FALSE(storable(*a, false));
  EXPECT_TRUE(storable(*a, true));
}

TEST(cached_answer, openai_stream_with_and_without_the_usage_chunk) {
  auto a = answer_from_openai_json(k_openai_tool);
  ASSERT_TRUE(a);
  a->completion.usage = {5, 3, 8, 0, 0, 0};
  for (bool usage : {false, true}) {
    const auto events = events_of(render_openai_stream(*a, "chatcmpl-x", 7, usage));
    ASSERT_GE(events.size(), 4u);
    EXPECT_EQ(events.back(), "[DONE]");
    EXPECT_EQ(events[0].at("id"), "chatcmpl-x");
    EXPECT_EQ(events[0].at("choices").at(0).at("delta").at("role"), "assistant");
    std::string args;
    std::string finish;
    bool saw_usage = false;
    for (const auto& e : events) {
      if (!e.is_object()) continue;
      if (e.as_object().contains("usage") && !e.at("usage").is_null()) saw_usage = true;
      for (const auto& c : e.at("choices").as_array()) {
        const auto& d = c.at("delta").as_object();
        if (auto* calls = d.if_contains("tool_calls")) {
          const auto& f = calls->at(0).at("function").as_object();
          if (auto* x = f.if_contains("arguments")) args += x->as_string();
        }
        if (!c.at("finish_reason").is_null()) finish = c.at("finish_reason").as_string();
      }
    }
    EXPECT_EQ(args, R"({"city":"Paris"})");
    EXPECT_EQ(finish, "tool_calls");
    EXPECT_EQ(saw_usage, usage);
  }
}

TEST(cached_answer, anthropic_stream_is_message_start_to_message_stop) {
  auto a = answer_from_openai_json(k_openai);
  ASSERT_TRUE(a);
  a->completion.usage = {5, 2, 7, 0, 0, 0};
  const auto events = events_of(render_anthropic_stream(*a));
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.front().at("type"), "message_start");
  EXPECT_EQ(events.back().at("type"), "message_stop");
  std::string text;
  for (const auto& e : events) {
    if (e.at("type") == "content_block_delta") text += e.at("delta").at("text").as_string();
    if (e.at("type") == "message_delta") {
      EXPECT_EQ(e.at("delta").at("stop_reason"), "end_turn");
      EXPECT_EQ(e.at("usage").at("output_tokens"), 2);
    }
  }
  EXPECT_EQ(text, "Hi there");
}

TEST(cached_answer, assembled_from_an_openai_stream_split_anywhere) {
  auto a = answer_from_openai_json(k_openai_tool);
  ASSERT_TRUE(a);
  a->completion.content = "Let me look.";
  const std::string stream = render_openai_stream(*a, "id", 1, false);
  for (std::size_t cut = 0; cut < stream.size(); cut += 7) {
    stream_assembler s(answer_api::openai);
    s.feed(stream.substr(0, cut));
    s.feed(stream.substr(cut));
    const auto b = s.take();
    ASSERT_TRUE(b) << cut;
    EXPECT_EQ(*b->completion.content, "Let me look.");
    ASSERT_EQ(b->completion.tool_calls.size(), 1u);
    EXPECT_EQ(b->completion.tool_calls[0].id, "call_1");
    EXPECT_EQ(b->completion.tool_calls[0].name, "get_weather");
    EXPECT_EQ(b->completion.tool_calls[0].arguments, R"({"city":"Paris"})");
    EXPECT_EQ(b->completion.finish_reason, "tool_calls");
    EXPECT_EQ(b->model, "gpt-4o-mini");
  }
}

TEST(cached_answer, an_unfinished_or_failed_stream_gives_nothing) {
  const auto a = answer_from_openai_json(k_openai);
  const std::string stream = render_openai_stream(*a, "id", 1, false);
  stream_assembler cut(answer_api::openai);
  cut.feed(stream.substr(0, stream.find("[DONE]")));
  EXPECT_FALSE(cut.take());

  stream_assembler failed(answer_api::openai);
  failed.feed(stream.substr(0, stream.find("\n\n") + 2));
  failed.feed("data: {\"error\":{\"message\":\"boom\"}}\n\n");
  failed.feed("data: [DONE]\n\n");
  EXPECT_FALSE(failed.take());

  const std::string events = render_anthropic_stream(*a);
  stream_assembler anthropic_cut(answer_api::anthropic);
  anthropic_cut.feed(events.substr(0, events.find("event: message_stop")));
  EXPECT_FALSE(anthropic_cut.take());
  stream_assembler anthropic_error(answer_api::anthropic);
  anthropic_error.feed(events.substr(0, events.find("event: message_delta")));
  anthropic_error.feed(
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}\n\n");
  EXPECT_FALSE(anthropic_error.take());
}

TEST(cached_answer, assembled_from_anthropic_events_and_json) {
  auto a = answer_from_openai_json(k_openai);
  ASSERT_TRUE(a);
  stream_assembler s(answer_api::anthropic);
  s.feed(render_anthropic_stream(*a));
  const auto b = s.take();
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->completion.content, "Hi there");
  EXPECT_EQ(b->completion.finish_reason, "stop");

  const std::string message = R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
    "content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
    "stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}})";
  const auto c = answer_from_anthropic_json(message);
  ASSERT_TRUE(c);
  EXPECT_EQ(render_anthropic_json(*c), message);  // the same bytes to the same API
  EXPECT_EQ(c->completion.finish_reason, "tool_calls");
  EXPECT_EQ(c->completion.tool_calls.at(0).arguments, R"({"city":"Paris"})");
  const json::value o = json::parse(render_openai_json(*c));
  EXPECT_EQ(o.at("choices").at(0).at("message").at("tool_calls").at(0).at("id"), "toolu_1");
}

}  // namespace
}  // namespace llmgw::cache
