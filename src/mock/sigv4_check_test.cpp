#include "mock/sigv4_check.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "providers/bedrock.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// AWS's SigV4 test suite: service "service", us-east-1, 2015-08-30T12:36:00Z,
// secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY; signatures as published.
constexpr std::string_view k_suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view k_suite_date = "20150830T123600Z";
const auto k_suite_now = std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30T12:36:00Z

std::string suite_authorization(std::string_view signature, std::string_view service = "service") {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/" + std::string(service) +
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + std::string(signature);
}

std::optional<mock_error> verify_suite(std::string_view method, std::string_view target, const std::string& auth,
                                       std::string_view body = {}, std::chrono::seconds clock_offset = 0s) {
  sigv4_request r;
  r.method = method;
  r.target = target;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", k_suite_date}, {"Authorization", auth}};
  r.body = body;
  return verify_sigv4(r, {k_suite_secret, "service", k_suite_now + clock_offset});
}

std::string error_type(const mock_error& e) {
  for (const auto& [n, v] : e.headers)
    if (n == "x-amzn-errortype") return v;
  return {};
}

std::string message(const mock_error& e) { return std::string(json::parse(e.body).at("message").as_string()); }

TEST(Sigv4Check, AcceptsAwsSuiteSignatures) {
  EXPECT_FALSE(verify_suite("GET", "/",
                            suite_authorization("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")));
  EXPECT_FALSE(verify_suite("POST", "/",
                            suite_authorization("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")));
  // The query is sorted before signing; the order on the wire does not matter.
  EXPECT_FALSE(verify_suite("GET", "/?Param2=value2&Param1=value1",
                            suite_authorization("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")));
  EXPECT_FALSE(verify_suite("GET", "/\xE1\x88\xB4",
                            suite_authorization("8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")));
}

TEST(Sigv4Check, RefusesAnyChangeWithBedrocksMismatchError) {
  const auto good = suite_authorization("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  for (auto e : {verify_suite("POST", "/", good, "a body that was not signed"), verify_suite("POST", "/x", good),
                 verify_suite("POST", "/?a=b", good), verify_suite("PUT", "/", good),
                 verify_suite("POST", "/", suite_authorization(std::string(64, '0')))}) {
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 403);
    EXPECT_EQ(error_type(*e), "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/");
    EXPECT_TRUE(message(*e).starts_with(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method."))
        << message(*e);
  }
  // The message shows what was computed, as Bedrock's does.
  const auto e = verify_suite("POST", "/x", good);
  EXPECT_NE(message(*e).find("The Canonical String for this request should have been\n'POST\n/x\n\nhost:"),
            std::string::npos)
      << message(*e);
  EXPECT_NE(message(*e).find("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n"
                             "20150830/us-east-1/service/aws4_request\n"),
            std::string::npos);
}

TEST(Sigv4Check, RefusesAWrongSecret) {
  sigv4_request r;
  r.method = "POST";
  r.target = "/";
  const auto auth = suite_authorization("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  r.headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", k_suite_date}, {"authorization", auth}};
  EXPECT_FALSE(verify_sigv4(r, {k_suite_secret, "service", k_suite_now}));
  EXPECT_TRUE(verify_sigv4(r, {"another-secret", "service", k_suite_now}));
}

TEST(Sigv4Check, ScopeHostAndClock) {
  const auto sig = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
  auto wrong_service = verify_suite("POST", "/", suite_authorization(sig, "s3"));
  ASSERT_TRUE(wrong_service);
  EXPECT_EQ(message(*wrong_service), "Credential should be scoped to correct service: 'service'. ");

  auto unsigned_host = verify_suite(
      "POST", "/",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, "
      "Signature=" +
          std::string(sig));
  ASSERT_TRUE(unsigned_host);
  EXPECT_NE(message(*unsigned_host).find("'Host'"), std::string::npos);

  // Within five minutes either way the signature stands; beyond, it is refused.
  EXPECT_FALSE(verify_suite("POST", "/", suite_authorization(sig), {}, 4min));
  EXPECT_FALSE(verify_suite("POST", "/", suite_authorization(sig), {}, -4min));
  auto expired = verify_suite("POST", "/", suite_authorization(sig), {}, 6min);
  ASSERT_TRUE(expired);
  EXPECT_EQ(message(*expired),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T124200Z - 5 min.)");
  auto early = verify_suite("POST", "/", suite_authorization(sig), {}, -6min);
  ASSERT_TRUE(early);
  EXPECT_EQ(message(*early),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
            "(20150830T123000Z + 5 min.)");

  auto garbled = verify_suite("POST", "/", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE");
  ASSERT_TRUE(garbled);
  EXPECT_EQ(error_type(*garbled), "IncompleteSignatureException");
}

// The gateway's own Bedrock request verifies over the bytes it sends, and
// the path with ':' instead of the "%3A" that was signed does not.
TEST(Sigv4Check, VerifiesTheGatewaysBedrockSignatureOverThePathAsSent) {
  providers::vendor_endpoint ep;
  ep.host = "127.0.0.1:9999";
  ep.aws_access_key_id = "AKIDMOCK";
  ep.aws_secret_access_key = "mock/secret";
  ep.aws_session_token = "session-token-1";
  ep.aws_region = "eu-west-3";
  providers::chat_encode_options o;
  o.vendor_model = "anthropic.claude-3-haiku-20240307-v1:0";
  const auto now = std::chrono::system_clock::now();
  o.now = now;
  auto up =
      providers::bedrock_provider().encode_chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", ep, o);
  ASSERT_TRUE(up) << up.error().message;
  ASSERT_EQ(up->target, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");

  sigv4_request r;
  r.method = "POST";
  r.target = up->target;
  r.headers.emplace_back("Host", ep.host);
  for (const auto& [n, v] : up->headers) r.headers.emplace_back(n, v);
  r.body = up->body;
  EXPECT_FALSE(verify_sigv4(r, {"mock/secret", "bedrock", now}))
      << message(*verify_sigv4(r, {"mock/secret", "bedrock", now}));

  const std::string decoded = "/model/anthropic.claude-3-haiku-20240307-v1:0/converse";
  r.target = decoded;
  auto colon = verify_sigv4(r, {"mock/secret", "bedrock", now});
  ASSERT_TRUE(colon);
  // What AWS expected to be signed for the path as sent.
  EXPECT_NE(message(*colon).find("\n/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse\n"), std::string::npos);

  r.target = up->target;
  for (auto& [n, v] : r.headers)
    if (n == "x-amz-security-token") v = "session-token-2";
  EXPECT_TRUE(verify_sigv4(r, {"mock/secret", "bedrock", now})) << "the session token is signed";
}

}  // namespace
}  // namespace llmgw::mock
