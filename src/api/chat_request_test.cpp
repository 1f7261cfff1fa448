#include "api/chat_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmgw::api {
namespace {

const std::string k_messages = R"([{"role":"user","content":"hi"}])";

// A valid body with `extra` fields appended.
std::string body_with(std::string_view extra) {
  std::string body = R"({"model":"gpt-4o","messages":)" + k_messages;
  if (!extra.empty()) body.append(",").append(extra);
  return body + "}";
}

// A valid body whose messages array is `messages`.
std::string body_with_messages(std::string_view messages) {
  return R"({"model":"gpt-4o","messages":)" + std::string(messages) + "}";
}

// Parses a copy kept alive until the next call, since the info views it.
boost::system::result<chat_request_info, gateway_error> parse(std::string body) {
  static std::string kept;
  kept = std::move(body);
  return parse_chat_request(kept);
}

struct bad_case {
  std::string body;
  std::string param;  // "" means: no param (malformed JSON and the like)
};

struct good_case {
  std::string body;
};

void expect_rejected(const std::vector<bad_case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = parse(c.body);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid_request_error");
    EXPECT_EQ(r.error().param, c.param) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

void expect_accepted(const std::vector<std::string>& bodies) {
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    auto r = parse(body);
    EXPECT_FALSE(r.has_error()) << r.error().message << " param=" << r.error().param;
  }
}

TEST(chat_request, minimal_request) {
  auto r = parse(body_with(""));
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_EQ(r->model.name(), "gpt-4o");
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->has_stream_options);
  EXPECT_FALSE(r->client_include_usage);
  EXPECT_FALSE(r->max_tokens);
  EXPECT_EQ(r->n, 1);
  EXPECT_EQ(r->message_count, 1u);
}

TEST(chat_request, user_is_read_unescaped_for_usage_records) {
  auto r = parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"user":"u\"1"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "u\"1");
  auto none = parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"user":null})");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->user, "");
  auto bad = parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"user":5})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().param, "user");
}

// The gateway reads the body again for the metadata of the usage record
// only when the validator saw a top-level "metadata" (escaped keys too).
TEST(chat_request, a_top_level_metadata_field_is_noted) {
  auto with = parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"\u006detadata":{"a":"b"}})");
  ASSERT_TRUE(with.has_value());
  EXPECT_TRUE(with->has_metadata);
  auto nested =
      parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"metadata"}],"x":{"metadata":{"a":"b"}}})");
  ASSERT_TRUE(nested.has_value());
  EXPECT_FALSE(nested->has_metadata);
}

TEST(chat_request, body_gets_padding_but_keeps_its_bytes) {
  std::string body = body_with("");
  body.shrink_to_fit();
  const std::string copy = body;
  auto r = parse_chat_request(body);
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(body, copy);
  EXPECT_GE(body.capacity(), body.size() + simdjson::SIMDJSON_PADDING);
  EXPECT_EQ(body.substr(r->model.offset, r->model.length), "\"gpt-4o\"");
}

TEST(chat_request, malformed_json_is_rejected_without_param) {
  const std::string ok_prefix = R"({"model":"m","messages":[{"role":"user","content":"hi"}],)";
  expect_rejected({
      {"", ""},
      {"   ", ""},
      {"{", ""},
      {R"({"model":"m")", ""},
      {R"({"model" "m"})", ""},
      {R"({"model":"m",})", ""},
      {R"({"model":"m"} x)", ""},
      {R"({"model":"m"}})", ""},
      {R"({"model":"m"}{})", ""},
      {R"({'model':'m'})", ""},
      {"{\"model\":\"m\xff\"}", ""},                  // invalid UTF-8
      {"{\"model\":\"a\tb\"}", ""},                   // raw control character in a string
      {"\xEF\xBB\xBF" + ok_prefix + "\"x\":1}", ""},  // a BOM is not JSON
      {ok_prefix + R"("x":[1,2}})", ""},              // mismatched brackets in an unknown field
      {ok_prefix + R"("x":[1 2]})", ""},
      {ok_prefix + R"("x":{"a":1]})", ""},
      {ok_prefix + R"("x":[1,]})", ""},
      {ok_prefix + R"("x":tru})", ""},
      {ok_prefix + R"("x":nul})", ""},
      {ok_prefix + R"("x":truex})", ""},
      {ok_prefix + R"("x":01})", ""},
      {ok_prefix + R"("x":1.})", ""},
      {ok_prefix + R"("x":-})", ""},
      {ok_prefix + R"("x":1e})", ""},
      {ok_prefix + R"("x":.5})", ""},
      {ok_prefix + R"("x":+1})", ""},
      {ok_prefix + R"("x":"a\qb"})", ""},  // invalid escape
      {ok_prefix + R"("x":"\u12G4"})", ""},
      {ok_prefix + R"("x":"\ud800"})", ""},  // lone high surrogate
      {ok_prefix + R"("x":"\udc00"})", ""},  // lone low surrogate
      {ok_prefix + R"("x":"\ud800\u0041"})", ""},
      {ok_prefix + R"("\q":1})", ""},  // invalid escape in a key
      {ok_prefix + R"("x":{"y":[{"z":"\x"}]}})", ""},
      {R"({"model":"m","messages":[{"role":"user","content":"a\qb"}]})", ""},  // in message content
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"\q"}]}]})", ""},
  });
}

TEST(chat_request, body_must_be_an_object) {
  for (std::string body : {"[]", "\"x\"", "1", "null", "true"}) {
    auto r = parse(body);
    ASSERT_TRUE(r.has_error()) << body;
    EXPECT_EQ(r.error().param, "");
    EXPECT_NE(r.error().message.find("must be a JSON object"), std::string::npos) << r.error().message;
  }
}

TEST(chat_request, malformed_json_message_names_the_problem) {
  auto r = parse(R"({"model":"m",})");
  ASSERT_TRUE(r.has_error());
  EXPECT_NE(r.error().message.find("We could not parse the JSON body of your request"), std::string::npos);
  r = parse(body_with(R"("x":"a\qb")"));
  ASSERT_TRUE(r.has_error());
  EXPECT_NE(r.error().message.find("escape"), std::string::npos) << r.error().message;
}

TEST(chat_request, valid_json_edge_cases_are_accepted) {
  expect_accepted({
      body_with(R"("x":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t")"),
      body_with(R"("x":[-0, 0.5, 1e10, 1E-3, -1.5e+2, 123456789012345678901234567890])"),
      body_with(R"("x":{"a":[true,false,null,{},[]]})"),
      "  \n" + body_with("") + " \r\n\t",
      "{ \"model\" : \"m\" , \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"hi\" } ] }",
  });
}

TEST(chat_request, model_rules) {
  expect_rejected({
      {R"({"messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":5,"messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":null,"messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":["m"],"messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"a","model":"b","messages":[{"role":"user","content":"hi"}]})", "model"},
  });
  expect_accepted({R"({"messages":[{"role":"user","content":"hi"}],"model":"late"})"});
}

// The model name is sent back in the x-llmgw-model header: a control
// character in it (escaped in the JSON) could end that header line.
TEST(chat_request, model_with_control_characters_is_refused) {
  expect_rejected({
      {R"({"model":"gpt-4o-mini\r\nSet-Cookie: a=b","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"gpt-4o-mini\n","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"a\u0000b","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"a\u001fb","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"a\u007f","messages":[{"role":"user","content":"hi"}]})", "model"},
      {R"({"model":"a\tb","messages":[{"role":"user","content":"hi"}]})", "model"},
  });
  auto r = parse(R"({"model":"gpt-4o-mini\r\nX: y","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.has_error());
  EXPECT_NE(r.error().message.find("control characters"), std::string::npos) << r.error().message;
  expect_accepted({R"({"model":"caf\u00e9 \/ x:1","messages":[{"role":"user","content":"hi"}]})"});
}

TEST(chat_request, escaped_model_is_decoded_and_located) {
  std::string body = R"({"model":"groq\/llama\u002d3","messages":[{"role":"user","content":"hi"}]})";
  auto r = parse_chat_request(body);
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_EQ(r->model.name(), "groq/llama-3");
  EXPECT_EQ(body.substr(r->model.offset, r->model.length), R"("groq\/llama\u002d3")");
  const chat_request_info copy = *r;  // the decoded name survives a copy
  EXPECT_EQ(copy.model.name(), "groq/llama-3");
}

TEST(chat_request, model_view_points_into_the_body) {
  std::string body = body_with("");
  auto r = parse_chat_request(body);
  ASSERT_FALSE(r.has_error());
  EXPECT_GE(r->model.name().data(), body.data());
  EXPECT_LT(r->model.name().data(), body.data() + body.size());
}

TEST(chat_request, messages_rules) {
  expect_rejected({
      {R"({"model":"m"})", "messages"},
      {R"({"model":"m","messages":null})", "messages"},
      {R"({"model":"m","messages":{}})", "messages"},
      {R"({"model":"m","messages":"hi"})", "messages"},
      {body_with_messages("[]"), "messages"},
      {body_with_messages(R"([{"role":"user","content":"a"},"x"])"), "messages[1]"},
      {body_with_messages(R"([{"role":"user","content":"a"},null])"), "messages[1]"},
      {body_with_messages(R"([{"content":"a"}])"), "messages[0].role"},
      {body_with_messages(R"([{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":3,"content":"c"}])"),
       "messages[2].role"},
      {body_with_messages(R"([{"role":"robot","content":"a"}])"), "messages[0].role"},
      {body_with_messages(R"([{"role":"User","content":"a"}])"), "messages[0].role"},
      {body_with_messages(R"([{"role":"user","role":"user","content":"a"}])"), "messages[0].role"},
      {body_with_messages(R"([{"role":"user"}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"user","content":5}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"user","content":{}}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"user","content":"a","content":"b"}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"user","content":null}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"system","content":null}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"assistant","content":null}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"assistant"}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"assistant","content":null,"tool_calls":[]}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"user","content":null,"tool_calls":[{"id":"1"}]}])"), "messages[0].content"},
      {body_with_messages(R"([{"role":"assistant","content":null,"tool_calls":{}}])"), "messages[0].tool_calls"},
      {body_with_messages(R"([{"role":"assistant","content":null,"tool_calls":[{},3]}])"), "messages[0].tool_calls[1]"},
      {body_with_messages(R"([{"role":"user","content":[{"type":"text","text":"a"},"b"]}])"), "messages[0].content[1]"},
      {body_with_messages(R"([{"role":"user","content":[{"text":"a"}]}])"), "messages[0].content[0].type"},
      {body_with_messages(R"([{"role":"user","content":[{"type":1}]}])"), "messages[0].content[0].type"},
      {body_with_messages(R"([{"role":"user","content":[{"type":"text","type":"text"}]}])"),
       "messages[0].content[0].type"},
  });
  expect_accepted({
      body_with_messages(
          R"([{"role":"system","content":"s"},{"role":"developer","content":"d"},)"
          R"({"role":"user","content":"u"},{"role":"assistant","content":"a"},)"
          R"({"role":"tool","content":"t","tool_call_id":"1"},{"role":"function","name":"f","content":"x"}])"),
      body_with_messages(R"([{"content":"late role","role":"user"}])"),
      body_with_messages(R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",)"
                         R"("function":{"name":"f","arguments":"{}"}}]}])"),
      body_with_messages(R"([{"role":"assistant","tool_calls":[{"id":"c1"}]}])"),
      body_with_messages(R"([{"tool_calls":[{"id":"c1"}],"content":null,"role":"assistant"}])"),
      body_with_messages(R"([{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}}])"),
      body_with_messages(R"([{"role":"assistant","content":"x","tool_calls":[]}])"),
      body_with_messages(R"([{"role":"assistant","content":"x","tool_calls":null}])"),
      body_with_messages(R"([{"role":"user","content":[]}])"),
      body_with_messages(R"([{"role":"user","content":[{"type":"text","text":"a"},)"
                         R"({"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]}])"),
      body_with_messages(R"([{"role":"user","content":"hi","name":"bob","extra":{"any":[1,2]}}])"),
  });
}

TEST(chat_request, message_count) {
  auto r = parse(body_with_messages(R"([{"role":"system","content":"s"},{"role":"user","content":"u"},)"
                                    R"({"role":"assistant","content":"a"}])"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->message_count, 3u);
}

TEST(chat_request, stream_rules) {
  expect_rejected({
      {body_with(R"("stream":"yes")"), "stream"},
      {body_with(R"("stream":1)"), "stream"},
      {body_with(R"("stream":true,"stream":true)"), "stream"},
  });
  auto r = parse(body_with(R"("stream":true)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_TRUE(r->stream);
  r = parse(body_with(R"("stream":false)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_FALSE(r->stream);
  r = parse(body_with(R"("stream":null)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_FALSE(r->stream);
}

TEST(chat_request, stream_options_rules) {
  expect_rejected({
      {body_with(R"("stream":true,"stream_options":5)"), "stream_options"},
      {body_with(R"("stream":true,"stream_options":[])"), "stream_options"},
      {body_with(R"("stream":true,"stream_options":{"include_usage":"yes"})"), "stream_options.include_usage"},
      {body_with(R"("stream":true,"stream_options":{"include_usage":true,"include_usage":true})"),
       "stream_options.include_usage"},
      {body_with(R"("stream_options":{"include_usage":true})"), "stream_options"},
      {body_with(R"("stream":false,"stream_options":{})"), "stream_options"},
      {body_with(R"("stream":true,"stream_options":{},"stream_options":{})"), "stream_options"},
  });
  auto r = parse(body_with(R"("stream_options":{"include_usage":true},"stream":true)"));
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_TRUE(r->has_stream_options);
  EXPECT_TRUE(r->client_include_usage);
  r = parse(body_with(R"("stream":true,"stream_options":{"include_usage":false,"other":[1]})"));
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_TRUE(r->has_stream_options);
  EXPECT_FALSE(r->client_include_usage);
  r = parse(body_with(R"("stream_options":null)"));
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_FALSE(r->has_stream_options);
}

TEST(chat_request, sampling_number_rules) {
  expect_rejected({
      {body_with(R"("temperature":2.01)"), "temperature"},
      {body_with(R"("temperature":-0.1)"), "temperature"},
      {body_with(R"("temperature":"1")"), "temperature"},
      {body_with(R"("temperature":1e400)"), "temperature"},
      {body_with(R"("top_p":1.5)"), "top_p"},
      {body_with(R"("top_p":-1)"), "top_p"},
      {body_with(R"("top_p":true)"), "top_p"},
      {body_with(R"("presence_penalty":-2.5)"), "presence_penalty"},
      {body_with(R"("presence_penalty":[])"), "presence_penalty"},
      {body_with(R"("frequency_penalty":3)"), "frequency_penalty"},
      {body_with(R"("frequency_penalty":"0")"), "frequency_penalty"},
  });
  expect_accepted({
      body_with(R"("temperature":0)"),
      body_with(R"("temperature":2)"),
      body_with(R"("temperature":0.7)"),
      body_with(R"("temperature":1e0)"),
      body_with(R"("top_p":1)"),
      body_with(R"("top_p":0.0)"),
      body_with(R"("presence_penalty":-2,"frequency_penalty":2)"),
      body_with(R"("presence_penalty":0.5,"frequency_penalty":-1.5)"),
  });
}

TEST(chat_request, integer_rules) {
  expect_rejected({
      {body_with(R"("n":0)"), "n"},
      {body_with(R"("n":1.5)"), "n"},
      {body_with(R"("n":2.0)"), "n"},
      {body_with(R"("n":"2")"), "n"},
      {body_with(R"("max_tokens":0)"), "max_tokens"},
      {body_with(R"("max_tokens":-5)"), "max_tokens"},
      {body_with(R"("max_tokens":1e3)"), "max_tokens"},
      {body_with(R"("max_tokens":99999999999999999999)"), "max_tokens"},
      {body_with(R"("max_tokens":{})"), "max_tokens"},
      {body_with(R"("max_completion_tokens":0)"), "max_completion_tokens"},
      {body_with(R"("max_completion_tokens":false)"), "max_completion_tokens"},
      {body_with(R"("seed":1.5)"), "seed"},
      {body_with(R"("seed":"1")"), "seed"},
      {body_with(R"("top_logprobs":21)"), "top_logprobs"},
      {body_with(R"("top_logprobs":-1)"), "top_logprobs"},
      {body_with(R"("top_logprobs":"5")"), "top_logprobs"},
  });
  expect_accepted({
      body_with(R"("n":1)"),
      body_with(R"("n":4)"),
      body_with(R"("max_tokens":1)"),
      body_with(R"("max_completion_tokens":9223372036854775807)"),
      body_with(R"("seed":-9223372036854775808)"),
      body_with(R"("seed":0)"),
      body_with(R"("top_logprobs":0)"),
      body_with(R"("top_logprobs":20)"),
  });
}

TEST(chat_request, max_tokens_prefers_max_completion_tokens) {
  auto r = parse(body_with(R"("max_tokens":100)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->max_tokens, 100);
  r = parse(body_with(R"("max_completion_tokens":50,"max_tokens":100)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->max_tokens, 50);
  r = parse(body_with(R"("max_tokens":100,"max_completion_tokens":50)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->max_tokens, 50);
  r = parse(body_with(R"("n":3)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->n, 3);
}

TEST(chat_request, other_typed_fields) {
  expect_rejected({
      {body_with(R"("stop":5)"), "stop"},
      {body_with(R"("stop":{})"), "stop"},
      {body_with(R"("stop":["a",1])"), "stop[1]"},
      {body_with(R"("stop":[null])"), "stop[0]"},
      {body_with(R"("tools":{})"), "tools"},
      {body_with(R"("tools":"f")"), "tools"},
      {body_with(R"("tools":[{"type":"function"},1])"), "tools[1]"},
      {body_with(R"("tool_choice":1)"), "tool_choice"},
      {body_with(R"("tool_choice":[])"), "tool_choice"},
      {body_with(R"("response_format":"json")"), "response_format"},
      {body_with(R"("response_format":[])"), "response_format"},
      {body_with(R"("user":1)"), "user"},
      {body_with(R"("user":{})"), "user"},
      {body_with(R"("logprobs":1)"), "logprobs"},
      {body_with(R"("logprobs":"true")"), "logprobs"},
      {body_with(R"("parallel_tool_calls":"no")"), "parallel_tool_calls"},
      {body_with(R"("parallel_tool_calls":0)"), "parallel_tool_calls"},
  });
  expect_accepted({
      body_with(R"("stop":"\n")"),
      body_with(R"("stop":["a","b"])"),
      body_with(R"("stop":[])"),
      body_with(R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])"),
      body_with(R"("tools":[])"),
      body_with(R"("tool_choice":"auto")"),
      body_with(R"("tool_choice":{"type":"function","function":{"name":"f"}})"),
      body_with(R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}})"),
      body_with(R"("user":"u-1")"),
      body_with(R"("logprobs":true,"parallel_tool_calls":false)"),
  });
}

TEST(chat_request, optional_fields_accept_null) {
  expect_accepted({body_with(
      R"("stream":null,"stream_options":null,"temperature":null,"top_p":null,"n":null,"max_tokens":null,)"
      R"("max_completion_tokens":null,"stop":null,"presence_penalty":null,"frequency_penalty":null,"tools":null,)"
      R"("tool_choice":null,"response_format":null,"user":null,"seed":null,"logprobs":null,"top_logprobs":null,)"
      R"("parallel_tool_calls":null)")});
}

TEST(chat_request, unknown_fields_are_allowed) {
  expect_accepted({
      body_with(R"("metadata":{"a":"b"},"store":true,"logit_bias":{"50256":-100},"x-custom":[1,"two",{"3":null}])"),
      body_with(R"("reasoning_effort":"high","modalities":["text"])"),
  });
}

TEST(chat_request, nesting_limit) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  expect_accepted({body_with("\"x\":" + nested(100))});
  expect_rejected({{body_with("\"x\":" + nested(200)), ""}});
  expect_rejected({{body_with("\"x\":" + nested(5000)), ""}});
}

TEST(chat_request, errors_use_the_openai_shape) {
  auto r = parse(body_with(R"("temperature":3)"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().message, "Invalid 'temperature': expected a number between 0 and 2, but got 3 instead.");
  r = parse(body_with(R"("n":"2")"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().message, "Invalid type for 'n': expected an integer, but got a string instead.");
  r = parse(R"({"model":"m"})");
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().message, "Missing required parameter: 'messages'.");
}

// ---- rewriting ------------------------------------------------------------------

struct rewrite_result {
  std::string body;
  chat_request_info info;  // of the rewritten body (views into `body`)
};

// Parses `original`, rewrites it, checks the result parses again, and returns both.
rewrite_result rewrite(std::string original, std::optional<std::string_view> model, bool inject) {
  auto r = parse_chat_request(original);
  EXPECT_FALSE(r.has_error()) << r.error().message;
  if (r.has_error()) return {};
  rewrite_result out;
  out.body = rewrite_chat_body(original, *r, model, inject);
  auto again = parse_chat_request(out.body);
  EXPECT_FALSE(again.has_error()) << again.error().message << "\n" << out.body;
  if (again.has_error()) return out;
  out.info = std::move(*again);
  return out;
}

TEST(chat_request_rewrite, replaces_the_model) {
  auto out = rewrite(R"({"model":"alias","messages":[{"role":"user","content":"hi"}]})", "gpt-4o-mini", false);
  EXPECT_EQ(out.body, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(out.info.model.name(), "gpt-4o-mini");
}

TEST(chat_request_rewrite, escapes_the_new_model) {
  // (Control characters never get here: names are checked where they enter.)
  auto out = rewrite(body_with(""), "we\"ird\\name/\u00e9", false);
  EXPECT_EQ(out.info.model.name(), "we\"ird\\name/\u00e9");
}

TEST(chat_request_rewrite, nothing_to_do_keeps_the_bytes) {
  const std::string body = body_with(R"("stream":true,"stream_options":{"include_usage":true})");
  auto out = rewrite(body, std::nullopt, true);
  EXPECT_EQ(out.body, body);
  out = rewrite(body_with(""), std::nullopt, false);
  EXPECT_EQ(out.body, body_with(""));
}

TEST(chat_request_rewrite, adds_stream_options) {
  auto out = rewrite(R"({"model":"a","stream":true,"messages":[{"role":"user","content":"hi"}]})", std::nullopt, true);
  EXPECT_EQ(
      out.body,
      R"({"stream_options":{"include_usage":true},"model":"a","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_TRUE(out.info.client_include_usage);
  EXPECT_TRUE(out.info.has_stream_options);
}

TEST(chat_request_rewrite, adds_stream_options_with_leading_whitespace_and_model) {
  auto out = rewrite(
      "  \n{ \"model\" : \"a\", \"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"hi\"}] }", "b", true);
  EXPECT_EQ(out.body,
            "  \n{\"stream_options\":{\"include_usage\":true}, \"model\" : \"b\", \"stream\":true, "
            "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}] }");
  EXPECT_TRUE(out.info.client_include_usage);
  EXPECT_EQ(out.info.model.name(), "b");
}

TEST(chat_request_rewrite, replaces_null_stream_options) {
  auto out = rewrite(body_with(R"("stream":true,"stream_options":null,"x":1)"), "m2", true);
  EXPECT_EQ(out.body,
            body_with(R"("stream":true,"stream_options":{"include_usage":true},"x":1)").replace(9, 8, "\"m2\""));
  EXPECT_TRUE(out.info.client_include_usage);
}

TEST(chat_request_rewrite, fills_an_empty_stream_options) {
  auto out = rewrite(body_with(R"("stream":true,"stream_options":{ })"), std::nullopt, true);
  EXPECT_EQ(out.body, body_with(R"("stream":true,"stream_options":{"include_usage":true })"));
  EXPECT_TRUE(out.info.client_include_usage);
}

TEST(chat_request_rewrite, adds_include_usage_next_to_other_options) {
  auto out = rewrite(body_with(R"("stream":true,"stream_options":{"other":1})"), std::nullopt, true);
  EXPECT_EQ(out.body, body_with(R"("stream":true,"stream_options":{"include_usage":true,"other":1})"));
  EXPECT_TRUE(out.info.client_include_usage);
}

TEST(chat_request_rewrite, turns_include_usage_false_or_null_to_true) {
  auto out = rewrite(body_with(R"("stream":true,"stream_options":{"include_usage":false})"), std::nullopt, true);
  EXPECT_EQ(out.body, body_with(R"("stream":true,"stream_options":{"include_usage":true})"));
  out = rewrite(body_with(R"("stream":true,"stream_options":{"a":[],"include_usage" : null , "b":2})"), "z", true);
  EXPECT_EQ(
      out.body,
      body_with(R"("stream":true,"stream_options":{"a":[],"include_usage" : true , "b":2})").replace(9, 8, "\"z\""));
  EXPECT_TRUE(out.info.client_include_usage);
}

TEST(chat_request_rewrite, model_after_stream_options) {
  auto out = rewrite(R"({"stream":true,"stream_options":{},"messages":[{"role":"user","content":"hi"}],"model":"a"})",
                     "bb", true);
  EXPECT_EQ(
      out.body,
      R"({"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}],"model":"bb"})");
}

TEST(chat_request_rewrite, standalone_rewrite_model) {
  const std::string body = R"({"model":"a","x":1})";
  EXPECT_EQ(rewrite_model(body, 9, 3, "gpt/é"), R"({"model":"gpt/é","x":1})");
}

}  // namespace
}  // namespace llmgw::api
