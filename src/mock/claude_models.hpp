#pragma once
// What the mock knows of Claude models, for the Anthropic and Bedrock
// dialects: the vendor's own figures, kept apart from the gateway's
// (providers/anthropic_models.hpp) so that a wrong table on one side fails a
// test instead of agreeing with itself.
#include <cstdint>
#include <optional>
#include <string_view>

namespace llmgw::mock {

// The Claude model id inside `model`: "claude-…" as Anthropic names it, or
// the part after "anthropic." of a Bedrock id ("us.anthropic.claude-…-v1:0").
// Empty when `model` names no Claude model.
std::string_view claude_id(std::string_view model);

// The largest max_tokens the model takes without beta headers; nullopt for
// models the mock does not know.
std::optional<std::uint64_t> claude_output_limit(std::string_view model);

// True for the models that take temperature or top_p but not both.
bool claude_takes_one_sampler(std::string_view model);

// What Anthropic answers when they get both (Bedrock relays it for Claude
// models, after "The model returned the following errors: ").
inline constexpr std::string_view k_one_sampler_message =
    "`temperature` and `top_p` cannot both be specified for this model. Please use only one.";

}  // namespace llmgw::mock
