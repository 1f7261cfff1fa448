#pragma once
// Reading token usage out of a vendor's OpenAI-format JSON (a whole response
// or one stream chunk) without parsing the bodies that carry none.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/token_usage.hpp"

namespace llmgw::api {

using llmgw::token_usage;

// Cheap pre-check: a `"usage"` key whose value is an object. False positives
// (the text inside another key) are settled by a parse; false negatives
// cannot happen, since a string's own quotes are escaped inside it. A chunk
// with `"usage":null` (every chunk of an OpenAI stream that asked for usage)
// is rejected here.
bool mentions_usage_object(std::string_view json);

// The top-level "usage" object of `json`, when there is one. Text without a
// `"usage"` key followed by an object is rejected without parsing.
std::optional<token_usage> scan_usage(std::string_view json);

// True for the extra chunk a stream ends with when include_usage is on: its
// "choices" is an empty array and its "usage" an object. The gateway drops it
// when it asked for usage on the client's behalf.
bool is_usage_only_chunk(std::string_view data);

}  // namespace llmgw::api
