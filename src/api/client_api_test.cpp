// One renderer per client API: the path picks the API, and every error —
// the gateway's and the HTTP server's own — comes out in that API's shape.
#include "api/client_api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/gateway.hpp"

namespace llmgw::api {
namespace {

namespace json = boost::json;

TEST(client_api, the_messages_paths_are_anthropic_with_or_without_v1) {
  for (std::string_view p : {"/v1/messages", "/messages", "/v1/messages/count_tokens", "/messages/count_tokens"})
    EXPECT_EQ(client_api_for_path(p), client_api::anthropic) << p;
  for (std::string_view p : {"", "/", "/v1/chat/completions", "/embeddings", "/v1/models", "/v1/messages/batches",
                             "/v1/messagesx", "/v2/messages"})
    EXPECT_EQ(client_api_for_path(p), client_api::openai) << p;
}

TEST(client_api, render_error_writes_each_apis_shape) {
  const gateway_error e = payload_too_large(4096);
  std::string body;
  EXPECT_EQ(render_error(client_api::anthropic, e, body), 413);
  auto a = json::parse(body).as_object();
  EXPECT_EQ(a.at("type").as_string(), "error");
  EXPECT_EQ(a.at("error").at("type").as_string(), "request_too_large");
  EXPECT_EQ(render_error(client_api::openai, e, body), 413);
  auto o = json::parse(body).as_object();
  EXPECT_FALSE(o.contains("type"));
  EXPECT_TRUE(o.at("error").as_object().contains("param"));
}

TEST(gateway_protocol_errors, are_rendered_in_the_api_of_the_path_called) {
  const std::string message = "Request body exceeds the limit of 4096 bytes.";
  auto a = json::parse(gateway::render_protocol_error({413, message, "/v1/messages"})).as_object();
  EXPECT_EQ(a.at("type").as_string(), "error");
  EXPECT_EQ(a.at("error").at("type").as_string(), "request_too_large");
  EXPECT_EQ(a.at("error").at("message").as_string(), message);

  auto o = json::parse(gateway::render_protocol_error({413, message, "/v1/chat/completions"})).as_object();
  EXPECT_EQ(o.at("error").at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(o.at("error").at("message").as_string(), message);
}

TEST(gateway_protocol_errors, without_a_path_they_are_openai_shaped) {
  auto o = json::parse(gateway::render_protocol_error({400, "Malformed request target.", {}})).as_object();
  EXPECT_EQ(o.at("error").at("type").as_string(), "invalid_request_error");
}

TEST(gateway_protocol_errors, a_server_failure_is_a_server_error_in_either_shape) {
  auto a = json::parse(gateway::render_protocol_error({500, "Internal error.", "/messages"})).as_object();
  EXPECT_EQ(a.at("error").at("type").as_string(), "api_error");
  auto o = json::parse(gateway::render_protocol_error({500, "Internal error.", "/v1/chat/completions"})).as_object();
  EXPECT_EQ(o.at("error").at("type").as_string(), "server_error");
}

}  // namespace
}  // namespace llmgw::api
