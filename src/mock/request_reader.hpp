#pragma once
// Pulls the few fields the mock needs out of a request body with simdjson
// On-Demand: no DOM, long message texts are skipped, not copied. Views point
// into the body, which must outlive the result.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mock/openai_responses.hpp"

namespace llmgw::mock {

struct chat_request_info {
  std::string model;
  bool stream = false;
  bool include_usage = false;               // stream_options.include_usage
  std::optional<std::uint32_t> max_tokens;  // max_completion_tokens, or the older max_tokens
  bool has_tools = false;                   // a non-empty "tools" array
  std::string forced_tool;                  // tool_choice {"type":"function","function":{"name":…}}
  bool tool_choice_required = false;        // tool_choice "required"
  bool tool_choice_none = false;            // tool_choice "none"
  bool last_message_is_user = false;
  std::string_view last_user_content;  // raw JSON of the last user message's content
};

struct embeddings_request_info {
  std::string model;
  std::vector<std::string_view> inputs;     // raw JSON of each input (a string or a token array)
  std::vector<std::uint32_t> input_tokens;  // estimated tokens of each input
  std::optional<std::uint32_t> dimensions;
  bool base64 = false;  // encoding_format "base64"
};

// Both return the OpenAI error to answer with when the body is not valid
// JSON or lacks a required field. They may grow the body's capacity (never
// its content) for simdjson's padding: views are taken after that.
// `default_model` stands in for a missing "model" (Azure's deployment URLs
// name the model in the path); empty: "model" is required.
std::optional<mock_error> read_chat_request(std::string& body, chat_request_info& out,
                                            std::string_view default_model = {});
std::optional<mock_error> read_embeddings_request(std::string& body, embeddings_request_info& out,
                                                  std::string_view default_model = {});

}  // namespace llmgw::mock
