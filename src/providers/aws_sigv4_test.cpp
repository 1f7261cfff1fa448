#include "providers/aws_sigv4.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace llmgw::providers::aws {
namespace {

// AWS's SigV4 test suite (service "service", us-east-1, 2015-08-30T12:36:00Z);
// expected signatures as published in the suite (aws-c-auth's copy of it).
constexpr credentials k_suite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view k_date = "20150830T123600Z";
constexpr std::string_view k_scope =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

signature_parts sign_suite(std::string_view method, std::string_view path, std::string_view query,
                           std::vector<std::pair<std::string, std::string>> extra = {}, std::string_view payload = {},
                           credentials c = k_suite) {
  signing_request r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", std::string(k_date)}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.payload = payload;
  return sign(r, c, "us-east-1", "service", k_date);
}

TEST(aws_sigv4, get_vanilla) {
  const auto parts = sign_suite("GET", "/", "");
  EXPECT_EQ(parts.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(parts.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(parts.authorization, std::string(k_scope) +
                                     "SignedHeaders=host;x-amz-date, "
                                     "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(aws_sigv4, post_vanilla) {
  EXPECT_EQ(sign_suite("POST", "/", "").signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(aws_sigv4, get_vanilla_query_order_key_case) {
  const auto parts = sign_suite("GET", "/", "Param2=value2&Param1=value1");
  EXPECT_NE(parts.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(parts.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(aws_sigv4, get_unreserved) {
  EXPECT_EQ(sign_suite("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "").signature,
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(aws_sigv4, get_utf8) {
  const auto parts = sign_suite("GET", "/\xE1\x88\xB4", "");
  EXPECT_EQ(parts.canonical_request.substr(0, 15), "GET\n/%E1%88%B4\n");
  EXPECT_EQ(parts.string_to_sign.substr(parts.string_to_sign.size() - 64),
            "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102");
  EXPECT_EQ(parts.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(aws_sigv4, get_vanilla_with_session_token) {
  constexpr std::string_view token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  credentials c = k_suite;
  c.session_token = token;
  const auto parts = sign_suite("GET", "/", "", {{"X-Amz-Security-Token", std::string(token)}}, {}, c);
  EXPECT_EQ(parts.authorization, std::string(k_scope) +
                                     "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                                     "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

TEST(aws_sigv4, post_x_www_form_urlencoded) {
  const auto parts =
      sign_suite("POST", "/", "", {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1");
  EXPECT_EQ(parts.canonical_request.substr(parts.canonical_request.size() - 64),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(parts.string_to_sign.substr(parts.string_to_sign.size() - 64),
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
  EXPECT_EQ(parts.authorization, std::string(k_scope) +
                                     "SignedHeaders=content-type;host;x-amz-date, "
                                     "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

// The derived-key example of AWS's signing documentation (IAM, 2015-08-30).
TEST(aws_sigv4, signing_key_example) {
  EXPECT_EQ(to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(aws_sigv4, model_id_colon_is_encoded_again_in_the_canonical_uri) {
  EXPECT_EQ(uri_encode("anthropic.claude-3-haiku-20240307-v1:0", false), "anthropic.claude-3-haiku-20240307-v1%3A0");
  EXPECT_EQ(canonical_uri("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"),
            "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse");
  EXPECT_EQ(uri_encode("arn:aws:bedrock:us-east-1::foundation-model/x", false),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx");
}

TEST(aws_sigv4, canonical_query_decodes_before_encoding) {
  EXPECT_EQ(canonical_query("b=2&a=%41%20b&c"), "a=A%20b&b=2&c=");
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("x=%zz"), "x=%25zz");
}

TEST(aws_sigv4, header_values_are_trimmed_and_repeats_joined) {
  signing_request r;
  r.method = "GET";
  r.path = "/";
  r.headers = {{"Host", "h"}, {"My-Header", "  a   b  "}, {"my-header", "c"}, {"X-Amz-Date", std::string(k_date)}};
  const auto parts = sign(r, k_suite, "us-east-1", "service", k_date);
  EXPECT_NE(parts.canonical_request.find("\nmy-header:a b,c\n"), std::string::npos);
  EXPECT_NE(parts.canonical_request.find("\nhost;my-header;x-amz-date\n"), std::string::npos);
}

TEST(aws_sigv4, amz_date_is_utc_basic_format) {
  EXPECT_EQ(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))), "20150830T123600Z");
  EXPECT_EQ(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1704067200))), "20240101T000000Z");
}

}  // namespace
}  // namespace llmgw::providers::aws
