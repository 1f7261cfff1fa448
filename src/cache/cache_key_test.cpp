#include "cache/cache_key.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llmgw::cache {
namespace {

namespace json = boost::json;

const char* k_base = R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},
  {"role":"user","content":"hello"}],"temperature":0.5})";

std::string canonical(const json::object& body) {
  auto c = canonical_openai_chat(json::serialize(body));
  EXPECT_TRUE(c.has_value()) << json::serialize(body);
  return c ? *c : std::string();
}

cache_key key_of(const json::object& body) { return make_key("key:a", "openai/gpt-4o-mini", canonical(body)); }

json::object base() { return json::parse(k_base).as_object(); }

TEST(cache_key, each_field_that_changes_the_answer_changes_the_key) {
  const cache_key original = key_of(base());
  const json::value tool = json::parse(R"({"type":"function","function":{"name":"f","parameters":{"type":"object"}}})");
  const std::vector<std::pair<std::string, json::value>> changes = {
      {"messages", json::parse(R"([{"role":"system","content":"Be long."},{"role":"user","content":"hello"}])")},
      {"messages", json::parse(R"([{"role":"user","content":"hello"}])")},
      {"tools", json::array{tool}},
      {"tool_choice", "none"},
      {"response_format", json::parse(R"({"type":"json_object"})")},
      {"temperature", 0.6},
      {"top_p", 0.9},
      {"max_tokens", 10},
      {"max_completion_tokens", 11},
      {"stop", "END"},
      {"seed", 3},
      {"presence_penalty", 0.1},
      {"frequency_penalty", 0.1},
      {"parallel_tool_calls", false},
      {"logprobs", true},
      {"logit_bias", json::parse(R"({"42":1})")},
      {"reasoning_effort", "low"},
  };
  for (const auto& [field, value] : changes) {
    json::object changed = base();
    changed[field] = value;
    if (field == "tool_choice" || field == "parallel_tool_calls") changed["tools"] = json::array{tool};
    const cache_key k = key_of(changed);
    EXPECT_NE(k, original) << field;
    if (field == "tool_choice" || field == "parallel_tool_calls") {
      json::object with_tools = base();
      with_tools["tools"] = json::array{tool};
      EXPECT_NE(k, key_of(with_tools)) << field;
    }
  }
}

TEST(cache_key, stream_user_metadata_and_n_1_do_not) {
  const cache_key original = key_of(base());
  for (const char* extra : {R"({"stream":true})", R"({"stream":true,"stream_options":{"include_usage":true}})",
                            R"({"user":"u1"})", R"({"metadata":{"k":"v"}})", R"({"n":1})", R"({"store":true})"}) {
    json::object changed = base();
    const json::value fields = json::parse(extra);
    for (const auto& kv : fields.as_object()) changed[kv.key()] = kv.value();
    EXPECT_EQ(key_of(changed), original) << extra;
  }
}

TEST(cache_key, key_order_and_spacing_do_not) {
  const auto a = canonical_openai_chat(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema",
      "json_schema":{"name":"n","schema":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"}}}}}})");
  const auto b = canonical_openai_chat(
      R"({"response_format":{"json_schema":{"schema":{"properties":{"b":{"type":"number"},"a":{"type":"string"}},
      "type":"object"},"name":"n"},"type":"json_schema"},"messages":[{"content":"hi","role":"user"}],   "model":"m"})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(cache_key, namespace_and_model_are_part_of_the_key) {
  const std::string c = canonical(base());
  EXPECT_NE(make_key("key:a", "openai/gpt-4o-mini", c), make_key("key:b", "openai/gpt-4o-mini", c));
  EXPECT_NE(make_key("key:a", "openai/gpt-4o-mini", c), make_key("key:a", "openai/gpt-4o", c));
  // Lengths are hashed: moving bytes from one part to the next is another key.
  EXPECT_NE(make_key("ab", "c", c), make_key("a", "bc", c));
  EXPECT_EQ(make_key("key:a", "m", c), make_key("key:a", "m", c));
  EXPECT_EQ(make_key("key:a", "m", c).hex().size(), 32u);
  // A space given in two parts is the string they spell: entries stored
  // before (in Redis) keep their keys.
  EXPECT_EQ(make_key(key_space{"key:", "a"}, "m", c), make_key("key:a", "m", c));
  EXPECT_NE(make_key(key_space{"key:", "a"}, "m", c), make_key("key:", "am", c));
}

TEST(cache_key, openai_and_anthropic_clients_asking_the_same_question_share_it) {
  const auto anthropic = providers::read_messages_request(
      R"({"model":"gpt-4o-mini","max_tokens":256,"system":"Be brief.","temperature":0.5,
          "messages":[{"role":"user","content":[{"type":"text","text":"hello"}]}],"metadata":{"user_id":"x"}})");
  ASSERT_TRUE(anthropic);
  const auto from_anthropic = canonical_anthropic_messages(*anthropic);
  ASSERT_TRUE(from_anthropic);
  json::object openai = base();
  openai["max_tokens"] = 256;
  EXPECT_EQ(*from_anthropic, canonical(openai));

  // A field only Anthropic has still changes the key.
  const auto with_top_k = providers::read_messages_request(
      R"({"model":"gpt-4o-mini","max_tokens":256,"system":"Be brief.","temperature":0.5,"top_k":5,
          "messages":[{"role":"user","content":"hello"}]})");
  ASSERT_TRUE(with_top_k);
  EXPECT_NE(*canonical_anthropic_messages(*with_top_k), *from_anthropic);
}

// Texts go into the canonical form as a length and raw bytes: text that
// spells the form's own syntax is still only text.
TEST(cache_key, a_text_that_spells_the_canonical_syntax_is_still_one_text) {
  const auto one = [](std::string_view messages) {
    const auto c = canonical_openai_chat(std::string(R"({"model":"m","messages":)") + std::string(messages) + "}");
    EXPECT_TRUE(c);
    return c ? *c : std::string();
  };
  const std::string two_messages = one(R"([{"role":"user","content":"a"},{"role":"user","content":"b"}])");
  // One message whose text spells the end of a message and the start of the next.
  const std::string forged = one(R"([{"role":"user","content":"a}],\"role\":'user},{\"content\":[{\"text\":'b"}])");
  EXPECT_NE(two_messages, forged);
  EXPECT_NE(one(R"([{"role":"user","content":"ab"}])"),
            one(R"([{"role":"user","content":"a"},{"role":"user","content":"b"}])"));
  EXPECT_NE(one(R"([{"role":"user","content":"\"quoted\" é"}])"), one(R"([{"role":"user","content":"quoted é"}])"));
  EXPECT_EQ(one(R"([{"role":"user","content":"\u00e9"}])"), one(R"([{"role":"user","content":"é"}])"));
}

TEST(cache_key, tool_call_arguments_compare_as_json) {
  const auto a = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"x"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1,\"b\":2}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"ok"}]})");
  const auto b = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"x"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"b\": 2, \"a\": 1 }"}}]},
    {"role":"tool","tool_call_id":"c1","content":"ok"}]})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace llmgw::cache
