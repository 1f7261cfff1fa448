// The mock vendor over real HTTP: a mock_vendor_thread on port 0 and a
// blocking Beast client.
#include "mock/mock_vendor.hpp"

#include "http/test_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "providers/bedrock.hpp"

namespace llmgw::mock {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using http::testing::client;
using http::testing::reply;

std::string chat_body(std::string_view content, bool stream, bool include_usage = false, std::string_view extra = "") {
  std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":")";
  body.append(content);
  body.append("\"}]");
  if (stream) body.append(",\"stream\":true");
  if (include_usage) body.append(R"(,"stream_options":{"include_usage":true})");
  body.append(extra);
  body.push_back('}');
  return body;
}

std::vector<json::value> sse_events(std::string_view body, bool* done) {
  std::vector<json::value> out;
  *done = false;
  while (!body.empty()) {
    auto end = body.find("\n\n");
    if (end == std::string_view::npos) break;
    auto data = body.substr(6, end - 6);
    if (data == "[DONE]") {
      *done = true;
    } else {
      out.push_back(json::parse(data));
    }
    body.remove_prefix(end + 2);
  }
  return out;
}

json::value get_json(std::uint16_t port, std::string target) {
  client c(port);
  auto r = c.exchange(bhttp::verb::get, std::move(target), {}, {});
  return json::parse(r.body);
}

// Polls /_mock/stats until `pred` holds (streams end asynchronously).
template <class Pred>
json::value wait_stats(std::uint16_t port, Pred pred) {
  json::value s;
  for (int i = 0; i < 200; ++i) {
    s = get_json(port, "/_mock/stats");
    if (pred(s)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return s;
}

class mock_vendor_http : public ::testing::Test {
 protected:
  mock_vendor_thread mock_{mock_options{}};
  std::uint16_t port() { return mock_.port(); }
};

TEST_F(mock_vendor_http, non_stream_completion) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("Hello", false));
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers[bhttp::field::content_type], "application/json");
  EXPECT_TRUE(r.headers["x-request-id"].starts_with("req_"));
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("object").as_string(), "chat.completion");
  EXPECT_EQ(v.at("model").as_string(), "gpt-4o-mini");
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content").as_string(), "This is a mock response from gpt-4o-mini.");
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason").as_string(), "stop");
  EXPECT_GT(v.at("usage").at("prompt_tokens").as_int64(), 0);

  // Keep-alive: a second request on the same connection, without /v1.
  auto r2 = c.exchange(bhttp::verb::post, "/chat/completions", chat_body("[mock:tokens=20]", false));
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(json::parse(r2.body).at("usage").at("completion_tokens").as_int64(), 20);
}

TEST_F(mock_vendor_http, max_tokens_cuts_with_length) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions",
                      chat_body("[mock:tokens=50]", false, false, R"(,"max_completion_tokens":4)"));
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason").as_string(), "length");
  EXPECT_EQ(v.at("usage").at("completion_tokens").as_int64(), 4);
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content").as_string(), "This is a mock");
}

TEST_F(mock_vendor_http, stream_with_usage) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("[mock:tokens=5]", true, true));
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers[bhttp::field::content_type], "text/event-stream; charset=utf-8");
  bool done = false;
  auto events = sse_events(r.body, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(events.size(), 1u + 5u + 1u + 1u);
  EXPECT_EQ(events.front().at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  EXPECT_EQ(events[6].at("choices").at(0).at("finish_reason").as_string(), "stop");
  EXPECT_TRUE(events.back().at("choices").as_array().empty());
  EXPECT_EQ(events.back().at("usage").at("completion_tokens").as_int64(), 5);
  auto s = wait_stats(port(), [](const json::value& s) { return s.at("streams_completed").as_int64() == 1; });
  EXPECT_EQ(s.at("streams_started").as_int64(), 1);
  EXPECT_EQ(s.at("streams_completed").as_int64(), 1);
  EXPECT_EQ(s.at("active_streams").as_int64(), 0);
}

TEST_F(mock_vendor_http, stream_without_usage_has_no_usage_key) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("hi", true));
  bool done = false;
  auto events = sse_events(r.body, &done);
  EXPECT_TRUE(done);
  for (const auto& e : events) EXPECT_FALSE(e.as_object().contains("usage"));
  EXPECT_EQ(events.back().at("choices").at(0).at("finish_reason").as_string(), "stop");
}

TEST_F(mock_vendor_http, stream_tool_call) {
  client c(port());
  auto body = chat_body("weather? [mock:tool]", true, false,
                        R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":)"
                        R"({"type":"object","properties":{"city":{"type":"string"}}}}}])");
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", body);
  bool done = false;
  auto events = sse_events(r.body, &done);
  EXPECT_TRUE(done);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().at("choices").at(0).at("delta").at("tool_calls").at(0).at("function").at("name").as_string(),
            "get_weather");
  std::string args;
  for (std::size_t i = 1; i + 1 < events.size(); ++i)
    args += events[i].at("choices").at(0).at("delta").at("tool_calls").at(0).at("function").at("arguments").as_string();
  EXPECT_EQ(args, R"({"city":"mock"})");
  EXPECT_EQ(events.back().at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
}

TEST_F(mock_vendor_http, auth_errors) {
  client c(port());
  auto missing = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("x", false), {});
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(json::parse(missing.body).at("error").at("code").is_null());

  mock_options o;
  o.api_key = "sk-the-right-key-123456";
  mock_vendor_thread strict(o);
  client c2(strict.port());
  auto wrong = c2.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("x", false),
                           {{"authorization", "Bearer sk-the-wrong-key-987654"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("error").at("code").as_string(), "invalid_api_key");
  EXPECT_EQ(wrong.body.find("sk-the-wrong-key-987654"), std::string::npos);
  auto right = c2.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("x", false),
                           {{"authorization", "Bearer sk-the-right-key-123456"}});
  EXPECT_EQ(right.status, 200);
  auto azure = c2.exchange(bhttp::verb::post, "/openai/deployments/my-gpt/chat/completions?api-version=2024-06-01",
                           R"({"messages":[{"role":"user","content":"x"}]})", {{"api-key", "sk-the-right-key-123456"}});
  EXPECT_EQ(azure.status, 200);
  EXPECT_EQ(json::parse(azure.body).at("model").as_string(), "my-gpt");
}

// Each dialect asks for its own key where its vendor carries one, and a
// Bedrock request must be signed with the secret the mock holds.
TEST(mock_vendor_keys, each_vendor_its_own_key_and_bedrock_signatures_verified) {
  mock_options o;
  o.api_key = "sk-openai-key";
  o.anthropic_api_key = "sk-ant-key";
  o.gemini_api_key = "gemini-key";
  o.aws_access_key_id = "AKIDMOCK";
  o.aws_secret_access_key = "mock/secret";
  mock_vendor_thread mock(o);
  client c(mock.port());
  const auto post = [&](std::string target, std::string body, client::header_pairs h) {
    return c.exchange(bhttp::verb::post, std::move(target), std::move(body), std::move(h));
  };

  EXPECT_EQ(post("/v1/chat/completions", chat_body("x", false), {{"authorization", "Bearer sk-openai-key"}}).status,
            200);
  EXPECT_EQ(post("/v1/chat/completions", chat_body("x", false), {{"authorization", "Bearer sk-ant-key"}}).status, 401);

  const std::string messages = R"({"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"x"}]})";
  EXPECT_EQ(post("/v1/messages", messages, {{"x-api-key", "sk-ant-key"}, {"anthropic-version", "2023-06-01"}}).status,
            200);
  auto anthropic =
      post("/v1/messages", messages, {{"x-api-key", "sk-openai-key"}, {"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(anthropic.status, 401);
  EXPECT_EQ(json::parse(anthropic.body).at("error").at("type"), "authentication_error");

  const std::string contents = R"({"contents":[{"role":"user","parts":[{"text":"x"}]}]})";
  EXPECT_EQ(
      post("/v1beta/models/gemini-2.0-flash:generateContent", contents, {{"x-goog-api-key", "gemini-key"}}).status,
      200);
  EXPECT_EQ(post("/v1beta/models/gemini-2.0-flash:generateContent?key=gemini-key", contents, {}).status, 200);
  auto gemini =
      post("/v1beta/models/gemini-2.0-flash:generateContent", contents, {{"x-goog-api-key", "sk-openai-key"}});
  EXPECT_EQ(gemini.status, 400);
  EXPECT_NE(gemini.body.find("API_KEY_INVALID"), std::string::npos);

  // Signed by the gateway's own Bedrock encoder.
  const auto bedrock = [&](std::string_view key_id, std::string_view secret) {
    providers::vendor_endpoint ep;
    ep.host = "127.0.0.1";
    ep.aws_access_key_id = key_id;
    ep.aws_secret_access_key = secret;
    ep.aws_region = "us-east-1";
    providers::chat_encode_options eo;
    eo.vendor_model = "anthropic.claude-3-haiku-20240307-v1:0";
    auto up = providers::bedrock_provider().encode_chat(chat_body("x", false), ep, eo);
    EXPECT_TRUE(up);
    client::header_pairs h(up->headers.begin(), up->headers.end());
    return post(up->target, up->body, std::move(h));
  };
  EXPECT_EQ(bedrock("AKIDMOCK", "mock/secret").status, 200);
  auto wrong_secret = bedrock("AKIDMOCK", "another/secret");
  EXPECT_EQ(wrong_secret.status, 403);
  EXPECT_TRUE(wrong_secret.headers["x-amzn-errortype"].starts_with("InvalidSignatureException"));
  auto wrong_id = bedrock("AKIDOTHER", "mock/secret");
  EXPECT_EQ(wrong_id.status, 403);
  EXPECT_EQ(wrong_id.headers["x-amzn-errortype"], "UnrecognizedClientException");
}

TEST_F(mock_vendor_http, digest_answers_with_what_was_received_uncut) {
  client c(port());
  // The marker sits in the user's question; the tool result comes last.
  const std::string body = R"({"model":"claude","max_tokens":3,"system":"Be brief.","messages":[
    {"role":"user","content":"weather? [mock:digest]"},
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"21C"}]}]})";
  auto r =
      c.exchange(bhttp::verb::post, "/v1/messages", body, {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto reply = json::parse(r.body);
  EXPECT_EQ(reply.at("stop_reason"), "end_turn") << "a digest is never cut by max_tokens";
  const auto digest = json::parse(reply.at("content").at(0).at("text").as_string());
  EXPECT_EQ(digest.at("system"), json::parse(R"(["Be brief."])"));
  EXPECT_EQ(digest.at("max_tokens"), 3);
  EXPECT_EQ(digest.at("messages").at(2).at("tool_results"),
            json::parse(R"([{"id":"toolu_1","name":"get_weather","content":"21C"}])"));
}

TEST_F(mock_vendor_http, scripted_errors_by_marker_and_header) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("[mock:status=429]", true));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_EQ(r.headers["x-ratelimit-remaining-requests"], "0");
  EXPECT_EQ(json::parse(r.body).at("error").at("code").as_string(), "rate_limit_exceeded");

  auto h = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("x", false),
                      {{"authorization", "Bearer k"}, {"x-mock-status", "503"}});
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(json::parse(h.body).at("error").at("type").as_string(), "server_error");
}

TEST_F(mock_vendor_http, request_errors) {
  client c(port());
  EXPECT_EQ(c.exchange(bhttp::verb::post, "/v1/chat/completions", "{nope").status, 400);
  EXPECT_EQ(c.exchange(bhttp::verb::post, "/v1/chat/completions", R"({"model":"m"})").status, 400);
  auto nf = c.exchange(bhttp::verb::post, "/v1/nothing", "{}");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(json::parse(nf.body).at("error").at("message").as_string(), "Invalid URL (POST /v1/nothing)");
  EXPECT_EQ(c.exchange(bhttp::verb::get, "/v1/chat/completions").status, 404);
}

TEST_F(mock_vendor_http, models_and_embeddings) {
  client c(port());
  auto models = c.exchange(bhttp::verb::get, "/v1/models");
  EXPECT_EQ(models.status, 200);
  EXPECT_EQ(json::parse(models.body).at("object").as_string(), "list");
  auto one = c.exchange(bhttp::verb::get, "/v1/models/gpt-4o");
  EXPECT_EQ(json::parse(one.body).at("id").as_string(), "gpt-4o");

  auto emb = c.exchange(bhttp::verb::post, "/v1/embeddings",
                        R"({"model":"text-embedding-3-small","input":"hi","encoding_format":"base64"})");
  EXPECT_EQ(emb.status, 200);
  auto v = json::parse(emb.body);
  // 1536 float32 = 6144 bytes = 8192 base64 characters.
  EXPECT_EQ(v.at("data").at(0).at("embedding").as_string().size(), 8192u);
  auto small = c.exchange(bhttp::verb::post, "/v1/embeddings",
                          R"({"model":"text-embedding-3-small","input":["a","b"],"dimensions":4})");
  auto sv = json::parse(small.body);
  EXPECT_EQ(sv.at("data").as_array().size(), 2u);
  EXPECT_EQ(sv.at("data").at(1).at("embedding").as_array().size(), 4u);
}

TEST_F(mock_vendor_http, echo_and_last_request) {
  client c(port());
  auto body = chat_body("show me [mock:echo]", false);
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", body,
                      {{"Authorization", "Bearer sk-vendor-key"}, {"X-Custom", "1"}});
  auto content = json::parse(r.body).at("choices").at(0).at("message").at("content").as_string();
  auto headers = json::parse(content);
  EXPECT_EQ(headers.at("authorization").as_string(), "Bearer sk-vendor-key");
  EXPECT_EQ(headers.at("x-custom").as_string(), "1");

  auto last = get_json(port(), "/_mock/last_request");
  EXPECT_EQ(last.at("method").as_string(), "POST");
  EXPECT_EQ(last.at("target").as_string(), "/v1/chat/completions");
  EXPECT_EQ(last.at("body").as_string(), body);
  EXPECT_EQ(last.at("headers").at("authorization").as_string(), "Bearer sk-vendor-key");
}

TEST_F(mock_vendor_http, reset_after_cuts_the_stream) {
  client c(port());
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("[mock:tokens=10,reset_after=3]", true));
  EXPECT_TRUE(r.ec) << "the stream must not end cleanly";
  auto s = wait_stats(port(), [](const json::value& s) { return s.at("streams_reset").as_int64() == 1; });
  EXPECT_EQ(s.at("streams_reset").as_int64(), 1);
  EXPECT_EQ(s.at("active_streams").as_int64(), 0);
}

TEST_F(mock_vendor_http, client_disconnect_mid_stream_is_counted) {
  client c(port());
  std::string body = chat_body("[mock:tokens=1000,tps=20]", true);
  std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
      "content-type: application/json\r\ncontent-length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(c.socket(), asio::buffer(request));
  char buf[512];
  c.socket().read_some(asio::buffer(buf));  // headers and the first chunk
  auto s = wait_stats(port(), [](const json::value& s) { return s.at("active_streams").as_int64() == 1; });
  EXPECT_EQ(s.at("active_streams").as_int64(), 1);
  c.socket().close();
  s = wait_stats(port(), [](const json::value& s) { return s.at("streams_aborted").as_int64() == 1; });
  EXPECT_EQ(s.at("streams_aborted").as_int64(), 1);
  EXPECT_EQ(s.at("cancelled").as_int64(), 1);
  EXPECT_EQ(s.at("active_streams").as_int64(), 0);
}

TEST_F(mock_vendor_http, hang_until_client_leaves) {
  client c(port());
  std::string body = chat_body("[mock:hang]", false);
  std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
      "content-length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(c.socket(), asio::buffer(request));
  auto s = wait_stats(port(), [](const json::value& s) { return s.at("active_hangs").as_int64() == 1; });
  EXPECT_EQ(s.at("active_hangs").as_int64(), 1);
  c.socket().close();
  s = wait_stats(port(), [](const json::value& s) { return s.at("active_hangs").as_int64() == 0; });
  EXPECT_EQ(s.at("active_hangs").as_int64(), 0);
  EXPECT_EQ(s.at("cancelled").as_int64(), 1);
}

// A client that hangs up while the vendor is still thinking (what a gateway
// does to a hedge's loser) is a cancelled request; answered ones are not.
TEST_F(mock_vendor_http, client_leaving_before_the_first_byte_is_cancelled) {
  {
    client done(port());
    EXPECT_EQ(done.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("hi", false)).status, 200);
    EXPECT_EQ(done.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("hi", true)).status, 200);
  }
  client c(port());
  std::string body = chat_body("[mock:latency_ms=5000]", true);
  std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
      "content-length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(c.socket(), asio::buffer(request));
  auto s = wait_stats(port(), [](const json::value& s) { return s.at("requests").as_int64() == 3; });
  EXPECT_EQ(s.at("requests").as_int64(), 3);
  EXPECT_EQ(s.at("cancelled").as_int64(), 0);
  const auto closed = std::chrono::steady_clock::now();
  c.socket().close();
  s = wait_stats(port(), [](const json::value& s) { return s.at("cancelled").as_int64() == 1; });
  EXPECT_EQ(s.at("cancelled").as_int64(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - closed, std::chrono::seconds(1)) << "seen at once, not after the delay";
  EXPECT_EQ(s.at("streams_started").as_int64(), 1);
}

TEST(mock_vendor_slow_tail, every_second_answer_waits_slow_ms) {
  mock_options o;
  ASSERT_EQ(apply_markers("[mock:slow_ratio=0.5,slow_ms=300]", o.defaults), 2);
  mock_vendor_thread mock(o);
  std::vector<bool> slow;
  for (int i = 0; i < 3; ++i) {
    client c(mock.port());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("hi", i % 2 == 0)).status, 200);
    slow.push_back(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  }
  EXPECT_EQ(slow, (std::vector<bool>{false, true, false}));
  auto s = get_json(mock.port(), "/_mock/stats");
  EXPECT_EQ(s.at("slow_answers").as_int64(), 1);
  EXPECT_EQ(s.at("requests").as_int64(), 3);
  // A reset starts the tail over: the next request is the first again
  // (without it, the fourth would be slow).
  client r(mock.port());
  EXPECT_EQ(r.exchange(bhttp::verb::post, "/_mock/reset", {}, {}).status, 200);
  client c(mock.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("hi", false)).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(get_json(mock.port(), "/_mock/stats").at("slow_answers").as_int64(), 0);
}

TEST_F(mock_vendor_http, latency_delays_the_answer) {
  client c(port());
  auto start = std::chrono::steady_clock::now();
  auto r = c.exchange(bhttp::verb::post, "/v1/chat/completions", chat_body("[mock:latency_ms=150]", false));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

TEST_F(mock_vendor_http, stats_reset) {
  client c(port());
  c.exchange(bhttp::verb::get, "/v1/models");
  EXPECT_EQ(get_json(port(), "/_mock/stats").at("requests").as_int64(), 1);
  client r(port());
  EXPECT_EQ(r.exchange(bhttp::verb::post, "/_mock/reset", {}, {}).status, 200);
  EXPECT_EQ(get_json(port(), "/_mock/stats").at("requests").as_int64(), 0);
}

TEST(mock_vendor_teardown, stops_with_streams_and_hangs_in_flight) {
  auto mock = std::make_unique<mock_vendor_thread>(mock_options{});
  const auto port = mock->port();
  client streaming(port);
  client hanging(port);
  auto send = [](client& c, std::string_view content) {
    std::string body = chat_body(content, true);
    std::string request =
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
        "content-length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(c.socket(), asio::buffer(request));
  };
  send(streaming, "[mock:tokens=1000,tps=10]");
  send(hanging, "[mock:hang]");
  auto s = wait_stats(port, [](const json::value& s) {
    return s.at("active_streams").as_int64() == 1 && s.at("active_hangs").as_int64() == 1;
  });
  EXPECT_EQ(s.at("active_hangs").as_int64(), 1);
  mock.reset();  // must not hang or touch freed memory (run under ASan)
  char buf[4096];
  boost::system::error_code ec;
  while (!ec) hanging.socket().read_some(asio::buffer(buf), ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace llmgw::mock
