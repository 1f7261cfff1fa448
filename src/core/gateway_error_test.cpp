#include "core/gateway_error.hpp"

#include <gtest/gtest.h>

#include <boost/system/result.hpp>

namespace llmgw {
namespace {

TEST(gateway_error, renders_null_for_empty_param_and_code) {
  EXPECT_EQ(render_openai_error(invalid_request("Bad.")),
            R"({"error":{"message":"Bad.","type":"invalid_request_error","param":null,"code":null}})");
  EXPECT_EQ(render_openai_error(invalid_request("Bad.", "messages[0].role", "x")),
            R"({"error":{"message":"Bad.","type":"invalid_request_error","param":"messages[0].role","code":"x"}})");
}

TEST(gateway_error, escapes_strings) {
  gateway_error e = invalid_request("a \"quoted\" \\ back\nslash\x01", "p\"");
  EXPECT_EQ(render_openai_error(e),
            R"({"error":{"message":"a \"quoted\" \\ back\nslash\u0001","type":"invalid_request_error",)"
            R"("param":"p\"","code":null}})");
}

TEST(gateway_error, statuses_types_and_codes) {
  struct expected {
    gateway_error e;
    int status;
    std::string type, code;
  };
  const expected cases[] = {
      {invalid_request("x"), 400, "invalid_request_error", ""},
      {missing_api_key(), 401, "invalid_request_error", "missing_api_key"},
      {invalid_api_key(), 401, "authentication_error", "invalid_api_key"},
      {model_not_found("m"), 404, "invalid_request_error", "model_not_found"},
      {not_found_route("GET", "/v2/x"), 404, "invalid_request_error", "unknown_url"},
      {method_not_allowed("GET", "/v1/chat/completions"), 405, "invalid_request_error", "method_not_allowed"},
      {payload_too_large(10), 413, "invalid_request_error", "request_too_large"},
      {headers_too_large(16384), 431, "invalid_request_error", "headers_too_large"},
      {not_implemented("no"), 501, "api_error", "not_implemented"},
      {upstream_unavailable("down"), 502, "api_error", "upstream_unavailable"},
      {upstream_timeout("slow"), 504, "api_error", "upstream_timeout"},
      {internal_error("bug"), 500, "api_error", "internal_error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.e.message);
    EXPECT_EQ(c.e.status, c.status);
    EXPECT_EQ(c.e.type, c.type);
    EXPECT_EQ(c.e.code, c.code);
    EXPECT_FALSE(c.e.message.empty());
  }
}

TEST(gateway_error, model_not_found_names_the_model) {
  EXPECT_EQ(model_not_found("gpt-9").message, "The model `gpt-9` does not exist or you do not have access to it.");
}

TEST(gateway_error, messages_carry_the_details) {
  EXPECT_NE(not_found_route("POST", "/v1/nope").message.find("POST /v1/nope"), std::string::npos);
  EXPECT_NE(method_not_allowed("GET", "/v1/embeddings").message.find("GET /v1/embeddings"), std::string::npos);
  EXPECT_NE(payload_too_large(1024).message.find("1024"), std::string::npos);
  EXPECT_NE(headers_too_large(16384).message.find("16384"), std::string::npos);
  EXPECT_EQ(upstream_timeout("The upstream did not answer in time.").message, "The upstream did not answer in time.");
}

TEST(gateway_error, renders_invalid_utf8_as_valid_json) {
  const std::string body = render_openai_error(not_found_route("GET", "/\xff\xfe"));
  EXPECT_NE(body.find("\\ufffd\\ufffd"), std::string::npos) << body;
}

TEST(gateway_error, works_as_a_boost_result_error) {
  boost::system::result<int, gateway_error> r = invalid_request("nope", "model");
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().param, "model");
  EXPECT_THROW(r.value(), std::exception);
}

}  // namespace
}  // namespace llmgw
