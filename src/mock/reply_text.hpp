#pragma once
// The mock's deterministic reply text and its split into "tokens". A token
// is a word with its leading space, cut further so no token is longer than
// k_max_token_bytes (never inside a UTF-8 sequence); one streamed content
// chunk carries one token, as OpenAI's chunks usually do.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::mock {

inline constexpr std::size_t k_max_token_bytes = 8;

// End (exclusive) of the token that starts at `pos` (pos < text.size()).
std::size_t next_token_end(std::string_view text, std::size_t pos);

// Number of tokens in `text`.
std::size_t count_tokens(std::string_view text);

// Byte length of the first `n` tokens of `text` (all of it when it has fewer).
std::size_t prefix_of_tokens(std::string_view text, std::size_t n);

// Appends "This is a mock response from <model>." (unescaped), then filler
// words until it has `tokens` tokens, or cut to `tokens` tokens when that is
// shorter. Without `tokens` the sentence is returned as is.
void append_reply_text(std::string& out, std::string_view model, std::optional<std::uint32_t> tokens);

}  // namespace llmgw::mock
