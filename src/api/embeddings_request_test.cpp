#include "api/embeddings_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmgw::api {
namespace {

// Parses a copy kept alive until the next call, since the info views it.
boost::system::result<embeddings_request_info, gateway_error> parse(std::string body) {
  static std::string kept;
  kept = std::move(body);
  return parse_embeddings_request(kept);
}

std::string body_with(std::string_view input, std::string_view extra = {}) {
  std::string body = R"({"model":"text-embedding-3-small","input":)" + std::string(input);
  if (!extra.empty()) body.append(",").append(extra);
  return body + "}";
}

void expect_rejected(const std::vector<std::pair<std::string, std::string>>& cases) {
  for (const auto& [body, param] : cases) {
    SCOPED_TRACE(body);
    auto r = parse(body);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid_request_error");
    EXPECT_EQ(r.error().param, param) << r.error().message;
  }
}

void expect_accepted(const std::vector<std::string>& bodies) {
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    auto r = parse(body);
    EXPECT_FALSE(r.has_error()) << r.error().message << " param=" << r.error().param;
  }
}

TEST(embeddings_request, string_input) {
  std::string body = body_with(R"("hello world")");
  auto r = parse_embeddings_request(body);
  ASSERT_FALSE(r.has_error()) << r.error().message;
  EXPECT_EQ(r->model.name(), "text-embedding-3-small");
  EXPECT_EQ(body.substr(r->model.offset, r->model.length), "\"text-embedding-3-small\"");
  EXPECT_EQ(r->input_kind, embeddings_input_kind::string);
  EXPECT_EQ(r->input_count, 1u);
  EXPECT_EQ(r->input_bytes, 11u);
  EXPECT_FALSE(r->base64);
  EXPECT_FALSE(r->dimensions);
}

TEST(embeddings_request, user_is_read_for_usage_records) {
  auto r = parse(R"({"model":"m","input":"x","user":"u-9"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "u-9");
  auto bad = parse(R"({"model":"m","input":"x","user":[]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().param, "user");
}

TEST(embeddings_request, a_top_level_metadata_field_is_noted) {
  auto with = parse(R"({"model":"m","input":"x","metadata":{"a":"b"}})");
  ASSERT_TRUE(with.has_value());
  EXPECT_TRUE(with->has_metadata);
  auto without = parse(R"({"model":"m","input":"metadata"})");
  ASSERT_TRUE(without.has_value());
  EXPECT_FALSE(without->has_metadata);
}

TEST(embeddings_request, input_kinds) {
  auto r = parse(body_with(R"(["a","bc","def"])"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->input_kind, embeddings_input_kind::strings);
  EXPECT_EQ(r->input_count, 3u);
  EXPECT_EQ(r->input_bytes, 6u);

  r = parse(body_with("[1,2,3,0]"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->input_kind, embeddings_input_kind::tokens);
  EXPECT_EQ(r->input_count, 1u);
  EXPECT_EQ(r->input_tokens, 4u);

  r = parse(body_with("[[1,2],[3]]"));
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(r->input_kind, embeddings_input_kind::token_arrays);
  EXPECT_EQ(r->input_count, 2u);
  EXPECT_EQ(r->input_tokens, 3u);
}

TEST(embeddings_request, model_rules) {
  expect_rejected({
      {R"({"input":"x"})", "model"},
      {R"({"model":1,"input":"x"})", "model"},
      {R"({"model":"","input":"x"})", "model"},
      {R"({"model":null,"input":"x"})", "model"},
      {R"({"model":"a","model":"a","input":"x"})", "model"},
      {R"({"model":"text-embedding-3-small\r\nSet-Cookie: a=b","input":"x"})", "model"},
      {R"({"model":"a\u0000","input":"x"})", "model"},
  });
  expect_accepted({R"({"input":"x","model":"m"})"});
}

TEST(embeddings_request, input_rules) {
  expect_rejected({
      {R"({"model":"m"})", "input"},
      {body_with("null"), "input"},
      {body_with("5"), "input"},
      {body_with("{}"), "input"},
      {body_with("true"), "input"},
      {body_with(R"("")"), "input"},
      {body_with("[]"), "input"},
      {body_with(R"(["a",""])"), "input[1]"},
      {body_with(R"(["a",1])"), "input[1]"},
      {body_with(R"([1,"a"])"), "input[1]"},
      {body_with(R"([1,[2]])"), "input[1]"},
      {body_with(R"([[1],2])"), "input[1]"},
      {body_with(R"([null])"), "input[0]"},
      {body_with(R"([{}])"), "input[0]"},
      {body_with(R"([true])"), "input[0]"},
      {body_with("[1,-2]"), "input[1]"},
      {body_with("[1,2.5]"), "input[1]"},
      {body_with("[[1],[]]"), "input[1]"},
      {body_with(R"([[1],["a"]])"), "input[1][0]"},
      {body_with("[[1],[2,-1]]"), "input[1][1]"},
      {body_with("[[1],[2,0.5]]"), "input[1][1]"},
      {body_with(R"("x")", R"("input":"y")"), "input"},
  });
  expect_accepted({
      body_with(R"("x")"),
      body_with(R"(["x","y"])"),
      body_with("[0]"),
      body_with("[[0,100256],[1]]"),
      body_with(R"("\u00e9\n")"),
  });
}

TEST(embeddings_request, optional_field_rules) {
  expect_rejected({
      {body_with(R"("x")", R"("encoding_format":"int8")"), "encoding_format"},
      {body_with(R"("x")", R"("encoding_format":1)"), "encoding_format"},
      {body_with(R"("x")", R"("dimensions":0)"), "dimensions"},
      {body_with(R"("x")", R"("dimensions":1.5)"), "dimensions"},
      {body_with(R"("x")", R"("dimensions":"256")"), "dimensions"},
      {body_with(R"("x")", R"("user":5)"), "user"},
      {body_with(R"("x")", R"("user":[])"), "user"},
  });
  expect_accepted({
      body_with(R"("x")", R"("encoding_format":"float")"),
      body_with(R"("x")", R"("encoding_format":"base64")"),
      body_with(R"("x")", R"("dimensions":256)"),
      body_with(R"("x")", R"("user":"u")"),
      body_with(R"("x")", R"("encoding_format":null,"dimensions":null,"user":null)"),
      body_with(R"("x")", R"("unknown":{"kept":[1,2,3]})"),
  });
  auto r = parse(body_with(R"("x")", R"("encoding_format":"base64","dimensions":512)"));
  ASSERT_FALSE(r.has_error());
  EXPECT_TRUE(r->base64);
  EXPECT_EQ(r->dimensions, 512);
}

TEST(embeddings_request, malformed_json) {
  expect_rejected({
      {"", ""},
      {"[]", ""},
      {R"({"model":"m","input":"x",})", ""},
      {R"({"model":"m","input":"x\q"})", ""},
      {R"({"model":"m","input":["x",]})", ""},
      {R"({"model":"m","input":[1,01]})", ""},
      {R"({"model":"m","input":"x","extra":[1 2]})", ""},
      {R"({"model":"m","input":"x"} [])", ""},
  });
}

TEST(embeddings_request, model_rewrite) {
  std::string body = body_with(R"(["a"])");
  auto r = parse_embeddings_request(body);
  ASSERT_FALSE(r.has_error());
  std::string rewritten = rewrite_model(body, r->model.offset, r->model.length, "openai/te\"3");
  auto again = parse_embeddings_request(rewritten);
  ASSERT_FALSE(again.has_error()) << again.error().message;
  EXPECT_EQ(again->model.name(), "openai/te\"3");
  EXPECT_EQ(rewritten, R"({"model":"openai/te\"3","input":["a"]})");
}

}  // namespace
}  // namespace llmgw::api
