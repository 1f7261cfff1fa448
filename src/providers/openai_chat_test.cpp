#include "providers/openai_chat.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llmgw::providers {
namespace {

namespace json = boost::json;

TEST(OpenaiChatParse, ReadsMessagesPartsToolsAndOptions) {
  auto r = parse_chat_request(R"({"model":"m","messages":[
    {"role":"system","content":"be brief"},
    {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,QUJD"}},
                              {"type":"image_url","image_url":{"url":"https://x.test/a.jpg"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"42"}],
    "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
    "tool_choice":{"type":"function","function":{"name":"f"}},"stop":"END","max_completion_tokens":7,"max_tokens":9,
    "temperature":0.5,"stream":true,"stream_options":{"include_usage":true},"user":"u1"})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->messages.size(), 4u);
  EXPECT_EQ(r->messages[0].text(), "be brief");
  ASSERT_EQ(r->messages[1].parts.size(), 3u);
  EXPECT_EQ(r->messages[1].parts[1].image.media_type, "image/png");
  EXPECT_EQ(r->messages[1].parts[1].image.data, "QUJD");
  EXPECT_TRUE(r->messages[1].parts[1].image.is_data());
  EXPECT_EQ(r->messages[1].parts[2].image.url, "https://x.test/a.jpg");
  EXPECT_TRUE(r->messages[2].parts.empty());
  ASSERT_EQ(r->messages[2].tool_calls.size(), 1u);
  EXPECT_EQ(r->messages[2].tool_calls[0].arguments, R"({"a":1})");
  EXPECT_EQ(r->messages[3].tool_call_id, "call_1");
  ASSERT_EQ(r->tools.size(), 1u);
  EXPECT_EQ(r->choice.kind, tool_choice::mode::named);
  EXPECT_EQ(r->choice.name, "f");
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r->max_tokens, 7);  // max_completion_tokens wins
  EXPECT_EQ(r->temperature, 0.5);
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_EQ(r->user, "u1");
}

TEST(OpenaiChatParse, RefusesWhatAdaptersCannotCarry) {
  auto audio = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})");
  ASSERT_FALSE(audio);
  EXPECT_EQ(audio.error().param, "messages[0].content[0].type");
  auto n = parse_chat_request(R"({"model":"m","n":2,"messages":[{"role":"user","content":"x"}]})");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().param, "n");
  auto tool = parse_chat_request(R"({"model":"m","messages":[{"role":"tool","content":"x"}]})");
  ASSERT_FALSE(tool);
  EXPECT_EQ(tool.error().param, "messages[0].tool_call_id");
  auto bad_url = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]})");
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().status, 400);
}

TEST(OpenaiChatParse, DataUrls) {
  EXPECT_FALSE(parse_data_url("https://x"));
  EXPECT_FALSE(parse_data_url("data:image/png;base64,"));
  auto d = parse_data_url("data:image/jpeg;base64,/9j/");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->media_type, "image/jpeg");
  EXPECT_EQ(d->data, "/9j/");
}

TEST(OpenaiChatOutput, CompletionIsOpenaiShaped) {
  chat_completion c;
  c.content = std::nullopt;
  c.tool_calls.push_back({"call_1", "f", R"({"a":1})"});
  c.finish_reason = "tool_calls";
  c.usage = {10, 5, 0, 4, 0};
  const auto v = json::parse(render_chat_completion(c, "claude-x")).as_object();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("model"), "claude-x");
  const auto& choice = v.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), "tool_calls");
  EXPECT_TRUE(choice.at("message").at("content").is_null());
  EXPECT_EQ(choice.at("message").at("tool_calls").at(0).at("function").at("arguments"), R"({"a":1})");
  EXPECT_EQ(v.at("usage").at("total_tokens"), 15);
  EXPECT_EQ(v.at("usage").at("prompt_tokens_details").at("cached_tokens"), 4);
}

TEST(OpenaiChatOutput, ChunkWriterKeepsOpenaiOrder) {
  chunk_writer w("chatcmpl-1", 1700000000, "m", true);
  std::string out;
  w.content(out, "Hi");
  const int t0 = w.tool_call_start(out, "call_a", "f");
  w.tool_call_arguments(out, t0, "{\"x\"");
  w.tool_call_arguments(out, t0, "");
  w.done(out, token_usage{3, 4, 7, 0, 0});
  std::vector<json::value> events;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    auto line = out.substr(pos, end - pos);
    ASSERT_TRUE(line.starts_with("data: ")) << line;
    if (line != "data: [DONE]") events.push_back(json::parse(line.substr(6)));
    pos = end + 2;
  }
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
  ASSERT_EQ(events.size(), 6u);  // role, content, tool start, one fragment, finish, usage
  EXPECT_EQ(events[0].at("choices").at(0).at("delta").at("role"), "assistant");
  EXPECT_EQ(events[1].at("choices").at(0).at("delta").at("content"), "Hi");
  EXPECT_EQ(events[2].at("choices").at(0).at("delta").at("tool_calls").at(0).at("index"), 0);
  EXPECT_EQ(events[3].at("choices").at(0).at("delta").at("tool_calls").at(0).at("function").at("arguments"), "{\"x\"");
  EXPECT_EQ(events[4].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(events[5].at("choices").as_array().empty());
  EXPECT_EQ(events[5].at("usage").at("total_tokens"), 7);
}

TEST(OpenaiChatOutput, NoUsageChunkUnlessAsked) {
  chunk_writer w("c", 1, "m", false);
  std::string out;
  w.finish(out, "length");
  w.done(out, token_usage{1, 1, 2, 0, 0});
  EXPECT_EQ(out.find("\"usage\""), std::string::npos);
  EXPECT_NE(out.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_EQ(out.find("\"finish_reason\":\"stop\""), std::string::npos);  // one finish chunk only
}

}  // namespace
}  // namespace llmgw::providers
