// One negative test per rule of gemini_rules.cpp (where Google documents
// each is cited beside the rule), and requests the real API accepts, which
// must pass.
#include "mock/gemini_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock/dialect.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

std::string violation(std::string_view body) {
  auto v = gemini_rule_violation(body);
  return v ? v->message : std::string();
}

TEST(GeminiRules, RequestsTheApiAcceptsPass) {
  // Both spellings of every field; a property that carries a keyword's name;
  // free-form values (args, response, JSON schemas) are not looked into.
  EXPECT_FALSE(gemini_rule_violation(R"({
    "contents":[{"role":"user","parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},
                {"role":"model","parts":[{"functionCall":{"name":"f","args":{"anything":{"goes":1}}},"thoughtSignature":"c2ln"}]},
                {"role":"user","parts":[{"function_response":{"name":"f","response":{"whatever":true}}}]}],
    "system_instruction":{"parts":[{"text":"be brief"}]},
    "tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{
        "additionalProperties":{"type":"STRING","enum":["a","b"]},"n":{"type":"INTEGER","format":"int64"},
        "xs":{"type":"ARRAY","items":{"type":"string","enum":["c"]},"maxItems":"3"},
        "u":{"anyOf":[{"type":"STRING"},{"type":"NULL"}]}},"required":["n"],"propertyOrdering":["n"]}},
      {"name":"g","parametersJsonSchema":{"type":"object","additionalProperties":false,"enum":[1]}}]},
      {"googleSearch":{}}],
    "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}},
    "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],
    "generationConfig":{"temperature":0.2,"topP":0.9,"max_output_tokens":5,"stopSequences":["x"],"seed":1,
        "responseMimeType":"application/json","responseSchema":{"type":"STRING","enum":["x"]},
        "thinkingConfig":{"thinkingBudget":0}}})"));
  EXPECT_FALSE(gemini_rule_violation("not json"));
}

TEST(GeminiRules, UnknownFieldsAnywhereAreRefused) {
  // At the top: Google names no path.
  EXPECT_EQ(violation(R"({"contents":[{"parts":[{"text":"x"}]}],"safety":[]})"),
            R"(Invalid JSON payload received. Unknown name "safety": Cannot find field.)");
  // Deep, with map entries named by position; every one is listed.
  const auto v = gemini_rule_violation(R"({"contents":[{"role":"user","parts":[{"text":"x","cache_control":{}}]}],
      "tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{
          "a":{"type":"STRING"},"b":{"type":"OBJECT","additionalProperties":false}}}}]}]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message,
            "Invalid JSON payload received. Unknown name \"cache_control\" at 'contents[0].parts[0]': Cannot find "
            "field.\nInvalid JSON payload received. Unknown name \"additionalProperties\" at "
            "'tools[0].function_declarations[0].parameters.properties[1].value': Cannot find field.");
  const auto details = json::parse("[" + v->details + "]");
  ASSERT_EQ(details.as_array().size(), 1u);
  EXPECT_EQ(details.at(0).at("@type"), "type.googleapis.com/google.rpc.BadRequest");
  const auto& violations = details.at(0).at("fieldViolations").as_array();
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[1].at("field"), "tools[0].function_declarations[0].parameters.properties[1].value");
  EXPECT_EQ(violations[1].at("description"),
            "Invalid JSON payload received. Unknown name \"additionalProperties\" at "
            "'tools[0].function_declarations[0].parameters.properties[1].value': Cannot find field.");
}

TEST(GeminiRules, RolesAreUserOrModel) {
  EXPECT_EQ(
      violation(R"({"contents":[{"role":"user","parts":[{"text":"x"}]},{"role":"assistant","parts":[{"text":"y"}]}]})"),
      "Please use a valid role: user, model.");
}

TEST(GeminiRules, EnumIsForStringSchemasOnly) {
  EXPECT_EQ(
      violation(R"({"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json",
                "responseSchema":{"type":"OBJECT","properties":{"kind":{"enum":["city"]},"n":{"type":"INTEGER","enum":["1"]}}}}})"),
      "* GenerateContentRequest.generation_config.response_schema.properties[kind].enum: only allowed for STRING "
      "type\n* GenerateContentRequest.generation_config.response_schema.properties[n].enum: only allowed for "
      "STRING type\n");
  EXPECT_EQ(violation(R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{"function_declarations":[{"name":"f",
                "parameters":{"type":"OBJECT","properties":{"op":{"type":"INTEGER","enum":["1"]}}}}]}]})"),
            "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[op].enum: only allowed "
            "for STRING type\n");
}

TEST(GeminiRules, TheDialectAnswersWithGooglesErrorBody) {
  std::string body = R"({"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxTokens":5}})";
  chat_request_info info;
  const auto e = gemini_dialect().read_chat(body, "gemini-2.5-flash", false, info);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  const auto error = json::parse(e->body).at("error");
  EXPECT_EQ(error.at("code"), 400);
  EXPECT_EQ(error.at("status"), "INVALID_ARGUMENT");
  EXPECT_EQ(error.at("message"),
            "Invalid JSON payload received. Unknown name \"maxTokens\" at 'generation_config': Cannot find field.");
  EXPECT_EQ(error.at("details").at(0).at("fieldViolations").at(0).at("field"), "generation_config");
}

}  // namespace
}  // namespace llmgw::mock
