// What the golden fixtures (tests/fixtures/gemini/encode_*) leave out:
// schema cleaning corner cases, the request line and credentials.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/gemini.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

json::value cleaned(std::string_view schema) { return gemini::clean_schema(json::parse(schema)); }

TEST(GeminiSchema, DropsUnsupportedKeywordsAtEveryDepth) {
  auto s = cleaned(R"({"$schema":"x","type":"object","strict":true,"additionalProperties":false,
    "properties":{"list":{"type":"array","items":{"type":"object","additionalProperties":false,"$ref":"#/a",
      "properties":{"x":{"type":"number","exclusiveMinimum":0,"multipleOf":2}}}}}})");
  EXPECT_EQ(s, json::parse(R"({"type":"OBJECT","properties":{"list":{"type":"ARRAY","items":{"type":"OBJECT",
      "properties":{"x":{"type":"NUMBER"}}}}}})"));
}

TEST(GeminiSchema, KeepsPropertiesNamedLikeKeywords) {
  auto s = cleaned(R"({"type":"object","properties":{"$schema":{"type":"string"},"strict":{"type":"boolean"}},
    "required":["strict"]})");
  EXPECT_EQ(s, json::parse(R"({"type":"OBJECT","properties":{"$schema":{"type":"STRING"},"strict":{"type":"BOOLEAN"}},
    "required":["strict"]})"));
}

TEST(GeminiSchema, TypeListsBecomeNullableOrAnyOf) {
  EXPECT_EQ(cleaned(R"({"type":["null","integer"]})"), json::parse(R"({"type":"INTEGER","nullable":true})"));
  EXPECT_EQ(cleaned(R"({"type":["string","number","null"]})"),
            json::parse(R"({"anyOf":[{"type":"STRING"},{"type":"NUMBER"}],"nullable":true})"));
  EXPECT_EQ(cleaned(R"({"type":"null"})"), json::parse(R"({"type":"NULL"})"));
}

TEST(GeminiSchema, OneOfBecomesAnyOfAndConstBecomesAStringEnum) {
  // Gemini takes enum on STRING schemas only (https://ai.google.dev/api/caching#Schema).
  EXPECT_EQ(cleaned(R"({"oneOf":[{"const":"a"},{"type":"integer","format":"uint8"}]})"),
            json::parse(R"({"anyOf":[{"type":"STRING","enum":["a"]},{"type":"INTEGER"}]})"));
  EXPECT_EQ(cleaned(R"({"enum":["x","y"]})"), json::parse(R"({"type":"STRING","enum":["x","y"]})"));
}

TEST(GeminiSchema, EnumsUnderOtherTypesAreDropped) {
  EXPECT_EQ(cleaned(R"({"type":"integer","enum":["1","2"]})"), json::parse(R"({"type":"INTEGER"})"));
  EXPECT_EQ(cleaned(R"({"type":["string","integer"],"enum":["a"]})"),
            json::parse(R"({"anyOf":[{"type":"STRING"},{"type":"INTEGER"}]})"));
  EXPECT_EQ(cleaned(R"({"type":"string","enum":["a"]})"), json::parse(R"({"type":"STRING","enum":["a"]})"));
}

TEST(GeminiSchema, DropsNonStringEnumsAndUnknownFormats) {
  EXPECT_EQ(cleaned(R"({"type":"integer","enum":[1,2],"format":"int32"})"),
            json::parse(R"({"type":"INTEGER","format":"int32"})"));
  EXPECT_EQ(cleaned(R"({"type":"string","format":"uri"})"), json::parse(R"({"type":"STRING"})"));
}

TEST(GeminiSchema, RequiredKeepsOnlyDeclaredProperties) {
  EXPECT_EQ(cleaned(R"({"type":"object","required":["a"]})"), json::parse(R"({"type":"OBJECT"})"));
  EXPECT_EQ(cleaned(R"({"type":"object","properties":{"a":{}},"required":["a","b",3]})"),
            json::parse(R"({"type":"OBJECT","properties":{"a":{}},"required":["a"]})"));
}

TEST(GeminiSchema, DeepNestingIsCutOffNotRecursedForever) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += R"({"type":"array","items":)";
  deep += "{}";
  for (int i = 0; i < 200; ++i) deep += "}";
  json::parse_options po;
  po.max_depth = 1000;
  json::value v = json::parse(deep, {}, po);
  const json::value s = gemini::clean_schema(v);
  int depth = 0;
  const json::value* at = &s;
  while (at->is_object() && at->get_object().contains("items")) {
    at = &at->get_object().at("items");
    ++depth;
  }
  EXPECT_GT(depth, 10);
  EXPECT_LT(depth, 200);
}

vendor_endpoint endpoint() {
  vendor_endpoint ep;
  ep.host = "generativelanguage.googleapis.com";
  ep.base_path = "/v1beta";
  ep.api_key = "AIzaTestKey";
  return ep;
}

TEST(GeminiEncode, StreamTargetAndKeyHeaderOnly) {
  chat_encode_options o;
  o.vendor_model = "gemini-2.5-flash";
  o.stream = true;
  auto r = gemini_provider().encode_chat(R"({"model":"x","messages":[{"role":"user","content":"hi"}],"stream":true})",
                                         endpoint(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->target, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, "x-goog-api-key");
  EXPECT_EQ(r->headers[0].second, "AIzaTestKey");
  EXPECT_EQ(r->body.find("AIzaTestKey"), std::string::npos);
}

TEST(GeminiEncode, ModelIsOnePercentEncodedPathSegment) {
  chat_encode_options o;
  o.vendor_model = "tuned/odd model?:x";
  auto r = gemini_provider().encode_chat(R"({"model":"x","messages":[{"role":"user","content":"hi"}]})", endpoint(), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/v1beta/models/tuned%2Fodd%20model%3F%3Ax:generateContent");
}

TEST(GeminiEncode, EmptyAndDotSegmentModelsAreRefused) {
  constexpr std::string_view body = R"({"model":"x","messages":[{"role":"user","content":"hi"}]})";
  for (std::string_view bad : {"..", ".", "models/..", "models/", "%2e%2e", "a/../b"}) {
    chat_encode_options o;
    o.vendor_model = bad;
    auto r = gemini_provider().encode_chat(body, endpoint(), o);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().param, "model");
    auto e = gemini_provider().encode_embeddings(R"({"model":"x","input":"hi"})", endpoint(), bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().param, "model");
  }
  chat_encode_options o;
  o.vendor_model = "models/gemini-2.0-flash";
  auto r = gemini_provider().encode_chat(body, endpoint(), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/v1beta/models/gemini-2.0-flash:generateContent");
}

TEST(GeminiEncode, EmptyMessagesAddNoEmptyContents) {
  chat_encode_options o;
  o.vendor_model = "gemini-2.0-flash";
  auto r = gemini_provider().encode_chat(R"({"model":"x","messages":[{"role":"system","content":""},
    {"role":"user","content":"hi"},{"role":"assistant","content":null},{"role":"user","content":"again"}]})",
                                         endpoint(), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body),
            json::parse(R"({"contents":[{"role":"user","parts":[{"text":"hi"},{"text":"again"}]}]})"));
}

TEST(GeminiEncode, RefusesRolesGeminiHasNoPlaceFor) {
  chat_encode_options o;
  o.vendor_model = "gemini-2.0-flash";
  auto r =
      gemini_provider().encode_chat(R"({"model":"x","messages":[{"role":"function","content":"hi"}]})", endpoint(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().param, "messages[0].role");
}

TEST(GeminiEncode, EmbeddingsRefuseTokenArrays) {
  auto r = gemini_provider().encode_embeddings(R"({"model":"text-embedding-004","input":[[1,2,3]]})", endpoint(),
                                               "text-embedding-004");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "input");
  auto empty = gemini_provider().encode_embeddings(R"({"model":"m","input":[]})", endpoint(), "m");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().status, 400);
}

}  // namespace
}  // namespace llmgw::providers
