#include "mock/openai_responses.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <vector>

namespace llmgw::mock {
namespace {

namespace json = boost::json;

json::value parse(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "invalid JSON: " << text;
  return v;
}

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

// Splits an SSE text into the JSON (or [DONE]) of each `data:` event.
std::vector<std::string> events_of(std::string_view sse) {
  std::vector<std::string> out;
  while (!sse.empty()) {
    auto end = sse.find("\n\n");
    EXPECT_NE(end, std::string_view::npos) << "event not terminated";
    auto event = sse.substr(0, end);
    EXPECT_TRUE(event.starts_with("data: ")) << event;
    out.emplace_back(event.substr(6));
    sse.remove_prefix(end + 2);
  }
  return out;
}

completion_meta meta() {
  auto m = new_completion_meta("gpt-4o-mini");
  return m;
}

TEST(openai_responses, ids_look_like_openai) {
  auto m = meta();
  EXPECT_TRUE(m.id.starts_with("chatcmpl-"));
  EXPECT_EQ(m.id.size(), 38u);
  EXPECT_NE(m.id, meta().id);
  EXPECT_GT(m.created, 1700000000);
  auto call = new_tool_call_id();
  EXPECT_TRUE(call.starts_with("call_"));
  EXPECT_EQ(call.size(), 29u);
}

TEST(openai_responses, chat_completion_fields) {
  std::string out;
  auto m = meta();
  append_chat_completion(out, m, "Hello \"world\"\n", "stop", {12, 3});
  auto v = parse(out);
  const auto& o = v.as_object();
  EXPECT_EQ(keys_of(o), (std::vector<std::string>{"id", "object", "created", "model", "choices", "usage",
                                                  "service_tier", "system_fingerprint"}));
  EXPECT_EQ(o.at("id").as_string(), m.id);
  EXPECT_EQ(o.at("object").as_string(), "chat.completion");
  EXPECT_EQ(o.at("model").as_string(), "gpt-4o-mini");
  EXPECT_EQ(o.at("created").as_int64(), m.created);
  const auto& choice = o.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(keys_of(choice), (std::vector<std::string>{"index", "message", "logprobs", "finish_reason"}));
  EXPECT_EQ(choice.at("index").as_int64(), 0);
  EXPECT_TRUE(choice.at("logprobs").is_null());
  EXPECT_EQ(choice.at("finish_reason").as_string(), "stop");
  const auto& message = choice.at("message").as_object();
  EXPECT_EQ(message.at("role").as_string(), "assistant");
  EXPECT_EQ(message.at("content").as_string(), "Hello \"world\"\n");
  EXPECT_TRUE(message.at("refusal").is_null());
  const auto& usage = o.at("usage").as_object();
  EXPECT_EQ(usage.at("prompt_tokens").as_int64(), 12);
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 3);
  EXPECT_EQ(usage.at("total_tokens").as_int64(), 15);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens").as_int64(), 0);
  EXPECT_EQ(usage.at("completion_tokens_details").at("reasoning_tokens").as_int64(), 0);
  EXPECT_EQ(o.at("system_fingerprint").as_string(), k_system_fingerprint);
}

TEST(openai_responses, tool_call_completion) {
  std::string out;
  tool_call call{"call_abc", "get_weather", R"({"city":"Paris"})"};
  append_tool_call_completion(out, meta(), call, {10, 4});
  auto v = parse(out);
  const auto& choice = v.at("choices").as_array().at(0);
  EXPECT_EQ(choice.at("finish_reason").as_string(), "tool_calls");
  const auto& message = choice.at("message");
  EXPECT_TRUE(message.at("content").is_null());
  const auto& tc = message.at("tool_calls").as_array().at(0);
  EXPECT_EQ(tc.at("id").as_string(), "call_abc");
  EXPECT_EQ(tc.at("type").as_string(), "function");
  EXPECT_EQ(tc.at("function").at("name").as_string(), "get_weather");
  EXPECT_EQ(tc.at("function").at("arguments").as_string(), R"({"city":"Paris"})");
}

std::string stream_of(bool include_usage) {
  auto m = meta();
  chunk_builder b(m, include_usage);
  std::string sse;
  b.role(sse);
  b.content(sse, "Hello");
  b.content(sse, " world");
  b.finish(sse, "stop");
  if (include_usage) b.usage(sse, {7, 2});
  chunk_builder::done(sse);
  return sse;
}

TEST(openai_responses, chunk_sequence_without_usage) {
  auto events = events_of(stream_of(false));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    auto v = parse(events[i]);
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("object").as_string(), "chat.completion.chunk");
    EXPECT_FALSE(o.contains("usage")) << "usage only appears with include_usage";
    const auto& choice = o.at("choices").as_array().at(0).as_object();
    EXPECT_EQ(keys_of(choice), (std::vector<std::string>{"index", "delta", "logprobs", "finish_reason"}));
    const auto& delta = choice.at("delta").as_object();
    if (i == 0) {
      EXPECT_EQ(delta.at("role").as_string(), "assistant");
      EXPECT_EQ(delta.at("content").as_string(), "");
      EXPECT_TRUE(choice.at("finish_reason").is_null());
    } else if (i + 2 < events.size()) {
      EXPECT_FALSE(delta.contains("role"));
      text += delta.at("content").as_string();
      EXPECT_TRUE(choice.at("finish_reason").is_null());
    } else {
      EXPECT_TRUE(delta.empty());
      EXPECT_EQ(choice.at("finish_reason").as_string(), "stop");
    }
  }
  EXPECT_EQ(text, "Hello world");
}

TEST(openai_responses, chunk_sequence_with_usage) {
  auto events = events_of(stream_of(true));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string id;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    auto v = parse(events[i]);
    const auto& o = v.as_object();
    if (id.empty()) id = o.at("id").as_string();
    EXPECT_EQ(o.at("id").as_string(), id) << "every chunk shares the id";
    ASSERT_TRUE(o.contains("usage"));
    if (i + 2 < events.size()) {
      EXPECT_TRUE(o.at("usage").is_null());
      EXPECT_EQ(o.at("choices").as_array().size(), 1u);
    } else {
      EXPECT_TRUE(o.at("choices").as_array().empty());
      EXPECT_EQ(o.at("usage").at("prompt_tokens").as_int64(), 7);
      EXPECT_EQ(o.at("usage").at("completion_tokens").as_int64(), 2);
      EXPECT_EQ(o.at("usage").at("total_tokens").as_int64(), 9);
    }
  }
}

TEST(openai_responses, tool_call_chunk_sequence) {
  auto m = meta();
  chunk_builder b(m, false);
  tool_call call{"call_1", "get_weather", R"({"location":"Paris, France","unit":"celsius"})"};
  std::string sse;
  b.tool_call_start(sse, call);
  for (std::size_t pos = 0; pos < call.arguments.size();) {
    auto end = next_argument_fragment_end(call.arguments, pos);
    b.tool_call_arguments(sse, std::string_view(call.arguments).substr(pos, end - pos));
    pos = end;
  }
  b.finish(sse, "tool_calls");
  chunk_builder::done(sse);
  auto events = events_of(sse);
  ASSERT_GT(events.size(), 4u);
  std::string args;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    auto v = parse(events[i]);
    const auto& choice = v.at("choices").as_array().at(0).as_object();
    const auto& delta = choice.at("delta").as_object();
    if (i == 0) {
      EXPECT_EQ(delta.at("role").as_string(), "assistant");
      EXPECT_TRUE(delta.at("content").is_null());
      const auto& tc = delta.at("tool_calls").as_array().at(0);
      EXPECT_EQ(tc.at("index").as_int64(), 0);
      EXPECT_EQ(tc.at("id").as_string(), "call_1");
      EXPECT_EQ(tc.at("type").as_string(), "function");
      EXPECT_EQ(tc.at("function").at("name").as_string(), "get_weather");
      EXPECT_EQ(tc.at("function").at("arguments").as_string(), "");
    } else if (i + 2 < events.size()) {
      const auto& tc = delta.at("tool_calls").as_array().at(0).as_object();
      EXPECT_EQ(tc.at("index").as_int64(), 0);
      EXPECT_FALSE(tc.contains("id"));
      EXPECT_FALSE(tc.at("function").as_object().contains("name"));
      args += tc.at("function").at("arguments").as_string();
    } else {
      EXPECT_TRUE(delta.empty());
      EXPECT_EQ(choice.at("finish_reason").as_string(), "tool_calls");
    }
  }
  EXPECT_EQ(args, call.arguments);
}

TEST(openai_responses, models_list) {
  std::string out;
  append_models_list(out);
  auto v = parse(out);
  EXPECT_EQ(v.at("object").as_string(), "list");
  const auto& data = v.at("data").as_array();
  ASSERT_FALSE(data.empty());
  for (const auto& m : data) {
    EXPECT_EQ(keys_of(m.as_object()), (std::vector<std::string>{"id", "object", "created", "owned_by"}));
    EXPECT_EQ(m.at("object").as_string(), "model");
  }
}

TEST(openai_responses, error_bodies_have_openai_shape) {
  for (int status : {400, 401, 403, 404, 418, 429, 500, 502, 503, 504}) {
    auto e = scripted_error(status, "gpt-4o");
    EXPECT_EQ(e.status, status);
    auto v = parse(e.body);
    const auto& err = v.at("error").as_object();
    EXPECT_TRUE(err.contains("message"));
    EXPECT_TRUE(err.contains("type"));
    EXPECT_TRUE(err.contains("param"));
    EXPECT_TRUE(err.contains("code"));
    EXPECT_EQ(e.rate_limited, status == 429);
  }
  auto rl = parse(scripted_error(429, "gpt-4o").body);
  EXPECT_EQ(rl.at("error").at("code").as_string(), "rate_limit_exceeded");
  auto nf = parse(scripted_error(404, "gpt-9").body);
  EXPECT_EQ(nf.at("error").at("code").as_string(), "model_not_found");
  EXPECT_NE(nf.at("error").at("message").as_string().find("gpt-9"), json::string::npos);
}

TEST(openai_responses, incorrect_key_is_masked) {
  const std::string key = "sk-proj-1234567890abcdefSECRETPART9876";
  auto e = incorrect_key_error(key);
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.body.find(key), std::string::npos);
  EXPECT_EQ(e.body.find("SECRETPART"), std::string::npos);
  auto v = parse(e.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "invalid_api_key");
  EXPECT_EQ(v.at("error").at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(mask_key("short"), "*****");
  EXPECT_EQ(mask_key("sk-abcdefghijkl"), "sk-a*******ijkl");
}

TEST(openai_responses, request_errors) {
  EXPECT_EQ(invalid_json_error().status, 400);
  EXPECT_TRUE(parse(invalid_json_error().body).at("error").at("param").is_null());
  auto url = invalid_url_error("POST", "/v1/nope");
  EXPECT_EQ(url.status, 404);
  EXPECT_EQ(parse(url.body).at("error").at("message").as_string(), "Invalid URL (POST /v1/nope)");
  auto missing = missing_parameter_error("messages");
  EXPECT_EQ(parse(missing.body).at("error").at("param").as_string(), "messages");
  EXPECT_EQ(missing_key_error().status, 401);
}

TEST(openai_responses, leaked_credential_is_in_every_field_and_header) {
  const mock_error e = with_leaked_credential(scripted_error(429, "gpt-4o-mini"), "sk-abc");
  EXPECT_EQ(e.status, 429);
  EXPECT_FALSE(e.rate_limited);
  const auto v = parse(e.body);
  const auto& err = v.at("error").as_object();
  for (std::string_view field : {"message", "type", "param", "code"}) {
    ASSERT_TRUE(err.at(field).is_string()) << field;
    EXPECT_TRUE(std::string_view(err.at(field).get_string()).ends_with("sk-abc")) << field;
  }
  std::vector<std::string> retry_after;
  bool leaked_header = false;
  for (const auto& [name, value] : e.headers) {
    if (name == "retry-after") retry_after.push_back(value);
    leaked_header = leaked_header || (name == "x-mock-leaked" && value == "sk-abc");
  }
  EXPECT_EQ(retry_after, std::vector<std::string>{"sk-abc"});
  EXPECT_TRUE(leaked_header);
}

}  // namespace
}  // namespace llmgw::mock
