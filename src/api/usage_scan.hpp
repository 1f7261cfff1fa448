#pragma once
// Reading token usage out of a vendor's OpenAI-format JSON (a whole response
// or one stream chunk) without parsing the bodies that carry none.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/token_usage.hpp"

namespace llmgw::api {

using llmgw::token_usage;

// The top-level "usage" object of `json`, when there is one. Text without a
// `"usage"` key followed by an object is rejected without parsing.
std::optional<token_usage> scan_usage(std::string_view json);

// True for the extra chunk a stream ends with when include_usage is on: its
// "choices" is an empty array and its "usage" an object. The gateway drops it
// when it asked for usage on the client's behalf.
bool is_usage_only_chunk(std::string_view data);

}  // namespace llmgw::api
