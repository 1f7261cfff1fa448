#include "cache/canonical_chat.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cache/cache_key.hpp"

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

// The gateway writes the form straight into the bytes the key hashes: the
// same key as the form built apart, after a longer question left the
// thread's buffer full, and none when the request has no form.
TEST(canonical_chat, a_form_written_into_the_key_gives_the_same_key) {
  const auto written = [](std::string_view body) {
    return make_key_of(key_space{"key:", "a"}, "openai/gpt-4o-mini",
                       [&](std::string& out) { return !canonical_openai_chat(body, out); });
  };
  json::object longer = base();
  longer["messages"].as_array().push_back(
      json::parse(R"({"role":"user","content":")" + std::string(3000, 'x') + R"("})"));
  EXPECT_EQ(*written(json::serialize(longer)), key_of(longer));
  EXPECT_EQ(*written(k_base), key_of(base()));
  EXPECT_FALSE(written(R"({"model":"m","messages":"not a list"})"));
  EXPECT_EQ(*written(k_base), key_of(base()));
}

TEST(canonical_chat, each_field_that_changes_the_answer_changes_the_key) {
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

TEST(canonical_chat, stream_user_metadata_and_n_1_do_not) {
  const cache_key original = key_of(base());
  for (const char* extra : {R"({"stream":true})", R"({"stream":true,"stream_options":{"include_usage":true}})",
                            R"({"user":"u1"})", R"({"metadata":{"k":"v"}})", R"({"n":1})", R"({"store":true})"}) {
    json::object changed = base();
    const json::value fields = json::parse(extra);
    for (const auto& kv : fields.as_object()) changed[kv.key()] = kv.value();
    EXPECT_EQ(key_of(changed), original) << extra;
  }
}

TEST(canonical_chat, key_order_and_spacing_do_not) {
  const auto a = canonical_openai_chat(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema",
      "json_schema":{"name":"n","schema":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"}}}}}})");
  const auto b = canonical_openai_chat(
      R"({"response_format":{"json_schema":{"schema":{"properties":{"b":{"type":"number"},"a":{"type":"string"}},
      "type":"object"},"name":"n"},"type":"json_schema"},"messages":[{"content":"hi","role":"user"}],   "model":"m"})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(canonical_chat, openai_and_anthropic_clients_asking_the_same_question_share_it) {
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
TEST(canonical_chat, a_text_that_spells_the_canonical_syntax_is_still_one_text) {
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

// A field name the client chose (kept under openai_extra) is escaped: one
// that spells the form's syntax stays one name.
TEST(canonical_chat, a_field_name_the_client_chose_is_escaped) {
  const auto c = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"a\":1,\"b":2})");
  ASSERT_TRUE(c);
  EXPECT_NE(c->find(R"("openai_extra":{"a\":1,\"b":2})"), std::string::npos) << *c;
  const auto plain = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"a":1,"b":2})");
  ASSERT_TRUE(plain);
  EXPECT_NE(*c, *plain);
}

TEST(canonical_chat, tool_call_arguments_compare_as_json) {
  const auto a = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"x"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1,\"b\":2}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"ok"}]})");
  const auto b = canonical_openai_chat(R"({"model":"m","messages":[{"role":"user","content":"x"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"b\": 2, \"a\": 1 }"}}]},
    {"role":"tool","tool_call_id":"c1","content":"ok"}]})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

// The form of a plain question is pinned: with cache_key's pinned hashes it
// keeps a question's key from one version to the next (entries in Redis are
// shared by the instances of a rolling upgrade).
TEST(canonical_chat, a_plain_question_keeps_its_form) {
  const auto c = canonical_openai_chat(
      R"({"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}],
          "temperature":0.5,"max_tokens":64})");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, R"({"max_tokens":64,"messages":[{"content":[{"text":'9:Be brief.}],"role":'6:system},)"
                R"({"content":[{"text":'5:hello}],"role":'4:user}],"temperature":0.5})");
}

// What a field means when it is left out is the same key as writing it out.
TEST(canonical_chat, defaults_written_out_are_the_same_key) {
  const auto key = [](std::string_view fields) {
    const auto c = canonical_openai_chat(std::string(R"({"model":"m","messages":[{"role":"user","content":"hi"}])") +
                                         std::string(fields) + "}");
    EXPECT_TRUE(c) << fields;
    return c ? *c : std::string();
  };
  const std::string_view tool = R"({"type":"function","function":{"name":"f")";
  EXPECT_EQ(
      key(std::string(R"(,"tools":[)") + std::string(tool) + "}}]"),
      key(std::string(R"(,"tools":[)") + std::string(tool) + R"(,"parameters":{"type":"object","properties":{}}}}])"));
  EXPECT_EQ(key(R"(,"response_format":{"type":"json_schema","json_schema":{"name":"n"}})"),
            key(R"(,"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}})"));
  EXPECT_EQ(key(R"(,"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object"}}})"),
            key(R"(,"response_format":{"type":"json_schema","json_schema":{"name":"response"}})"));
  EXPECT_EQ(key(R"(,"stop":"END")"), key(R"(,"stop":["END"])"));
  EXPECT_EQ(key(R"(,"stop":[])"), key(""));
  EXPECT_EQ(key(R"(,"tools":[])"), key(""));
  EXPECT_EQ(key(R"(,"response_format":{"type":"text"})"), key(""));
  EXPECT_EQ(key(R"(,"temperature":1)"), key(R"(,"temperature":1.0)"));
  EXPECT_EQ(key(R"(,"max_completion_tokens":7,"max_tokens":9)"), key(R"(,"max_tokens":7)"));
  EXPECT_NE(key(R"(,"stop":["END","STOP"])"), key(R"(,"stop":["END"])"));
}

// The translation of an Anthropic conversation with tools, images and stop
// sequences lands on the key of its OpenAI spelling, whatever that spelling's
// key order, spacing and argument formatting.
TEST(canonical_chat, an_anthropic_conversation_with_tools_has_the_key_of_its_openai_spelling) {
  const auto anthropic = providers::read_messages_request(R"({"model":"m","max_tokens":100,
    "tools":[{"name":"get","description":"d","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
    "tool_choice":{"type":"tool","name":"get"},"stop_sequences":["END"],
    "messages":[{"role":"user","content":"x"},
      {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"get","input":{"q":"a"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"},
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]})");
  ASSERT_TRUE(anthropic);
  const auto from_anthropic = canonical_anthropic_messages(*anthropic);
  ASSERT_TRUE(from_anthropic);
  const auto from_openai = canonical_openai_chat(R"({"tool_choice":{"function":{"name":"get"},"type":"function"},
    "stop":"END","max_completion_tokens":100,"model":"other",
    "tools":[{"function":{"parameters":{"properties":{"q":{"type":"string"}},"type":"object"},"description":"d","name":"get"},
      "type":"function"}],
    "messages":[{"content":[{"type":"text","text":"x"}],"role":"user"},
      {"tool_calls":[{"type":"function","function":{"arguments":"{ \"q\" : \"a\" }","name":"get"},"id":"t1"}],"role":"assistant"},
      {"content":"ok","tool_call_id":"t1","role":"tool"},
      {"role":"user","content":[{"image_url":{"url":"data:image/png;base64,AAAA"},"type":"image_url"}]}]})");
  ASSERT_TRUE(from_openai);
  EXPECT_EQ(*from_anthropic, *from_openai);
}

// A request with a part the form does not model is answered uncached
// rather than cached under a key that leaves the part out.
TEST(canonical_chat, a_request_the_form_cannot_hold_has_no_key) {
  for (
      const char* body : {
          R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA"}}]}]})",
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":2})",
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"f"}}]})",
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","function":{"name":"f"}}]})",
          R"({"model":"m","messages":[{"role":"tool","content":"x"}]})",
          R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x"}}]}]})",
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"})",
          R"({"model":"m","messages":{}})",
          R"([1])",
      }) {
    EXPECT_FALSE(canonical_openai_chat(body)) << body;
  }
}

}  // namespace
}  // namespace llmgw::cache
