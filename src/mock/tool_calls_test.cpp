#include "mock/tool_calls.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace llmgw::mock {
namespace {

constexpr std::string_view k_body = R"({"model":"m","messages":[],"tools":[
  {"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{
     "location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},
     "days":{"type":"integer"},"detailed":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},
     "where":{"type":"object","properties":{"lat":{"type":"number"}}},"note":{"type":["null","string"]}},
     "required":["location"]}}},
  {"type":"function","function":{"name":"no_params"}}]})";

TEST(tool_calls, first_tool_with_schema_arguments) {
  auto call = make_tool_call(k_body, "");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "get_weather");
  EXPECT_TRUE(call->id.starts_with("call_"));
  auto args = boost::json::parse(call->arguments);
  EXPECT_EQ(args.at("location").as_string(), "mock");
  EXPECT_EQ(args.at("unit").as_string(), "celsius");
  EXPECT_EQ(args.at("days").as_int64(), 1);
  EXPECT_TRUE(args.at("detailed").as_bool());
  EXPECT_EQ(args.at("tags").as_array().size(), 1u);
  EXPECT_DOUBLE_EQ(args.at("where").at("lat").as_double(), 1.5);
  EXPECT_EQ(args.at("note").as_string(), "mock");
}

TEST(tool_calls, named_tool) {
  auto call = make_tool_call(k_body, "no_params");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "no_params");
  EXPECT_EQ(call->arguments, "{}");
  EXPECT_FALSE(make_tool_call(k_body, "missing"));
  EXPECT_FALSE(make_tool_call(R"({"model":"m"})", ""));
  EXPECT_FALSE(make_tool_call("not json", ""));
}

TEST(tool_calls, arguments_for_schema) {
  EXPECT_EQ(arguments_for_schema(R"({"type":"object","properties":{"q":{"const":"x"}}})"), R"({"q":"x"})");
  EXPECT_EQ(arguments_for_schema(R"({"type":"string"})"), "{}");
  EXPECT_EQ(arguments_for_schema("garbage"), "{}");
}

}  // namespace
}  // namespace llmgw::mock
