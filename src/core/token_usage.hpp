#pragma once
// Token counts of one request, as the vendor reported them.
#include <cstdint>

namespace llmgw {

struct token_usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;           // prompt + completion when the vendor leaves it out
  std::int64_t cached_tokens = 0;          // prompt tokens served from the vendor's prompt cache
  std::int64_t cache_creation_tokens = 0;  // prompt tokens written to it (Anthropic)
  std::int64_t reasoning_tokens = 0;       // completion tokens spent thinking (part of completion_tokens)
  bool operator==(const token_usage&) const = default;
};

}  // namespace llmgw
