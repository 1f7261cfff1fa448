#pragma once
// Reading token usage out of a vendor's OpenAI-format JSON (a whole response
// or one stream chunk) without parsing the bodies that carry none.
#include <cstdint>
#include <optional>
#include <string_view>

namespace llmgw::api {

struct token_usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;   // prompt + completion when the vendor leaves it out
  std::int64_t cached_tokens = 0;  // usage.prompt_tokens_details.cached_tokens
  bool operator==(const token_usage&) const = default;
};

// The top-level "usage" object of `json`, when there is one. Text without a
// `"usage"` key followed by an object is rejected without parsing.
std::optional<token_usage> scan_usage(std::string_view json);

// True for the extra chunk a stream ends with when include_usage is on: its
// "choices" is an empty array and its "usage" an object. The gateway drops it
// when it asked for usage on the client's behalf.
bool is_usage_only_chunk(std::string_view data);

}  // namespace llmgw::api
