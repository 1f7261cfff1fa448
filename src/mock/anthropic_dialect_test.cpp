#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>

#include "mock/dialect.hpp"
#include "providers/anthropic.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

const dialect& d() { return anthropic_dialect(); }

header_lookup headers_from(std::map<std::string, std::string> h) {
  return [h = std::move(h)](std::string_view name) -> std::string_view {
    auto it = h.find(std::string(name));
    return it == h.end() ? std::string_view() : std::string_view(it->second);
  };
}

std::string error_type(const mock_error& e) {
  return std::string(json::parse(e.body).at("error").at("type").as_string());
}

std::string header(const mock_error& e, std::string_view name) {
  for (const auto& [n, v] : e.headers) {
    if (n == name) return v;
  }
  return {};
}

TEST(AnthropicDialect, AuthNeedsTheKeyAndAVersion) {
  auto missing = d().check_auth(headers_from({{"authorization", "Bearer k"}}), {}, "k");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(error_type(*missing), "authentication_error");

  auto wrong = d().check_auth(headers_from({{"x-api-key", "nope"}, {"anthropic-version", "2023-06-01"}}), {}, "k");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find("nope"), std::string::npos);

  auto no_version = d().check_auth(headers_from({{"x-api-key", "k"}}), {}, "k");
  ASSERT_TRUE(no_version);
  EXPECT_EQ(no_version->status, 400);

  EXPECT_FALSE(d().check_auth(headers_from({{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}}), {}, "k"));
  EXPECT_FALSE(d().check_auth(headers_from({{"x-api-key", "any"}, {"anthropic-version", "2023-06-01"}}), {}, ""));
}

TEST(AnthropicDialect, ReadsAMessagesRequest) {
  std::string body = R"({"model":"claude-3-haiku-20240307","max_tokens":64,"stream":true,
      "system":[{"type":"text","text":"be brief"}],
      "messages":[{"role":"user","content":[{"type":"text","text":"hi [mock:tool,tokens=3]"}]},
                  {"role":"assistant","content":"x"},
                  {"role":"user","content":"again [mock:latency_ms=5]"}],
      "tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}})";
  chat_request_info info;
  ASSERT_FALSE(d().read_chat(body, {}, false, info));
  EXPECT_EQ(info.model, "claude-3-haiku-20240307");
  EXPECT_EQ(info.max_tokens, 64u);
  EXPECT_TRUE(info.stream);
  EXPECT_TRUE(info.has_tools);
  EXPECT_TRUE(info.tool_choice_required);
  EXPECT_TRUE(info.last_message_is_user);
  EXPECT_NE(info.last_user_content.find("[mock:latency_ms=5]"), std::string_view::npos);
}

TEST(AnthropicDialect, ToolResultsAreNotTheUsersQuestion) {
  std::string body = R"({"model":"m","max_tokens":10,"tool_choice":{"type":"tool","name":"f"},"messages":[
      {"role":"user","content":"go [mock:tool]"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"done"}]}]})";
  chat_request_info info;
  ASSERT_FALSE(d().read_chat(body, {}, false, info));
  EXPECT_FALSE(info.last_message_is_user);
  EXPECT_NE(info.last_user_content.find("[mock:tool]"), std::string_view::npos);
  EXPECT_EQ(info.forced_tool, "f");
}

TEST(AnthropicDialect, RequiredFieldsAreAnthropicErrors) {
  for (std::string body :
       {std::string(R"({"model":"m","messages":[]})"), std::string(R"({"max_tokens":5,"messages":[]})"),
        std::string(R"({"model":"m","max_tokens":5})"), std::string("{oops")}) {
    chat_request_info info;
    auto e = d().read_chat(body, {}, false, info);
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(error_type(*e), "invalid_request_error");
  }
  std::string none =
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"none"}})";
  chat_request_info info;
  ASSERT_FALSE(d().read_chat(none, {}, false, info));
  EXPECT_TRUE(info.tool_choice_none);
}

TEST(AnthropicDialect, ToolCallsFitTheInputSchema) {
  const std::string body = R"({"tools":[{"type":"web_search_20250305","name":"web_search"},
      {"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}},
      {"name":"other","input_schema":{"type":"object"}}]})";
  auto call = d().make_tool_call(body, "");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "get_weather");
  EXPECT_TRUE(call->id.starts_with("toolu_01"));
  EXPECT_EQ(call->id.size(), 30u);
  EXPECT_EQ(json::parse(call->arguments), (json::object{{"city", "mock"}, {"days", 1}}));
  EXPECT_EQ(d().make_tool_call(body, "other")->name, "other");
  EXPECT_FALSE(d().make_tool_call(body, "missing"));
}

TEST(AnthropicDialect, RendersAMessage) {
  completion_meta meta{"chatcmpl-ABCDEFGHIJKLMNOPQRSTUVWXYZabc", 1, "claude-3-haiku-20240307"};
  std::string out;
  d().render_reply(out, reply{meta, "Hi \"there\"", nullptr, "length", {7, 3}, false});
  const auto m = json::parse(out).as_object();
  EXPECT_EQ(m.at("id"), "msg_01ABCDEFGHIJKLMNOPQRSTUV");
  EXPECT_EQ(m.at("type"), "message");
  EXPECT_EQ(m.at("content").as_array()[0].at("text"), "Hi \"there\"");
  EXPECT_EQ(m.at("stop_reason"), "max_tokens");
  EXPECT_EQ(m.at("usage").at("input_tokens"), 7);
  EXPECT_EQ(m.at("usage").at("output_tokens"), 3);

  tool_call call{"toolu_01X", "f", R"({"a":1})"};
  out.clear();
  d().render_reply(out, reply{meta, {}, &call, "tool_calls", {7, 3}, false});
  const auto t = json::parse(out).as_object();
  EXPECT_EQ(t.at("stop_reason"), "tool_use");
  EXPECT_EQ(t.at("content").as_array()[0].at("input"), (json::object{{"a", 1}}));
}

// The mock and the adapter must agree on the wire: the mock's stream,
// translated by the gateway's adapter, gives back the text and usage.
std::string translate(const std::string& anthropic_stream, std::optional<token_usage>& usage,
                      std::optional<gateway_error>& error) {
  providers::stream_options so;
  so.requested_model = "m";
  so.id = "chatcmpl-t";
  auto t = providers::anthropic_provider().translate_stream(so);
  std::string out;
  t->feed(anthropic_stream, out);
  t->finish(out);
  usage = t->usage();
  error = t->error();
  return out;
}

TEST(AnthropicDialect, StreamIsWhatTheAdapterReads) {
  completion_meta meta{"chatcmpl-ABCDEFGHIJKLMNOPQRSTUVWXYZabc", 1, "claude-3-haiku-20240307"};
  const reply r{meta, "Hello world", nullptr, "stop", {9, 2}, false};
  auto w = d().stream(r);
  std::string events;
  w->begin(events);
  w->piece(events, "Hello");
  w->piece(events, " world");
  w->end(events);
  EXPECT_TRUE(events.starts_with("event: message_start\n"));
  EXPECT_NE(events.find("event: ping\n"), std::string::npos);
  EXPECT_TRUE(events.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

  std::optional<token_usage> usage;
  std::optional<gateway_error> error;
  const std::string openai = translate(events, usage, error);
  EXPECT_FALSE(error);
  EXPECT_NE(openai.find(R"("delta":{"content":"Hello"})"), std::string::npos) << openai;
  EXPECT_NE(openai.find(R"("delta":{"content":" world"})"), std::string::npos) << openai;
  EXPECT_NE(openai.find(R"("finish_reason":"stop")"), std::string::npos) << openai;
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 9);
  EXPECT_EQ(usage->completion_tokens, 2);
}

TEST(AnthropicDialect, ToolStreamIsWhatTheAdapterReads) {
  completion_meta meta{"chatcmpl-ABCDEFGHIJKLMNOPQRSTUVWXYZabc", 1, "m"};
  tool_call call{"toolu_01X", "get_weather", R"({"city":"mock"})"};
  const reply r{meta, {}, &call, "tool_calls", {9, 4}, false};
  auto w = d().stream(r);
  std::string events;
  w->begin(events);
  w->piece(events, R"({"city")");
  w->piece(events, R"(:"mock"})");
  w->end(events);
  std::optional<token_usage> usage;
  std::optional<gateway_error> error;
  const std::string openai = translate(events, usage, error);
  EXPECT_FALSE(error);
  EXPECT_NE(openai.find(R"("id":"toolu_01X","type":"function","function":{"name":"get_weather")"), std::string::npos)
      << openai;
  EXPECT_NE(openai.find(R"("function":{"arguments":":\"mock\"}"})"), std::string::npos) << openai;
  EXPECT_NE(openai.find(R"("finish_reason":"tool_calls")"), std::string::npos) << openai;
}

TEST(AnthropicDialect, ScriptedErrorsHaveAnthropicsShape) {
  auto overloaded = d().scripted_error(529, "m");
  EXPECT_EQ(overloaded.status, 529);
  EXPECT_EQ(error_type(overloaded), "overloaded_error");
  EXPECT_TRUE(header(overloaded, "request-id").starts_with("req_"));

  auto limited = d().scripted_error(429, "m");
  EXPECT_EQ(error_type(limited), "rate_limit_error");
  EXPECT_EQ(header(limited, "retry-after"), "1");
  EXPECT_FALSE(limited.rate_limited);  // OpenAI's header set is not Anthropic's

  EXPECT_EQ(error_type(d().scripted_error(404, "claude-x")), "not_found_error");
  EXPECT_EQ(error_type(d().scripted_error(413, "m")), "request_too_large");
  EXPECT_EQ(error_type(d().scripted_error(503, "m")), "api_error");
  auto bad = d().invalid_request("messages: Field required");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("error").at("message"), "messages: Field required");
  EXPECT_EQ(json::parse(bad.body).at("type"), "error");
}

}  // namespace
}  // namespace llmgw::mock
