#pragma once
// The mock's tool calls: picks the function to call from the request's
// `tools` and makes up arguments that fit its JSON schema. Only runs when a
// tool call was asked for, so it may build a DOM (Boost.JSON).
#include <optional>
#include <string>
#include <string_view>

#include "mock/openai_responses.hpp"

namespace llmgw::mock {

// `wanted` names the function (empty: the first function tool). Returns
// nothing when the body has no such tool. The call gets a fresh id.
std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted);

// The arguments as a JSON object text: "{}" when the call has none, as
// vendors whose tool input is an object (Anthropic, Bedrock) need.
inline std::string_view arguments_or_empty_object(const tool_call& call) {
  return call.arguments.empty() ? std::string_view("{}") : std::string_view(call.arguments);
}

// Compact JSON arguments for a JSON schema (objects get every property).
std::string arguments_for_schema(std::string_view schema_json);

}  // namespace llmgw::mock
