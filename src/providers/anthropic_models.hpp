#pragma once
// Claude models' output limits. Anthropic requires max_tokens on every
// request while OpenAI clients usually leave it out; filling in the model's
// own limit keeps replies from being cut shorter than the client would
// expect from an OpenAI model.
#include <cstdint>
#include <optional>
#include <string_view>

namespace llmgw::providers {

// The largest max_tokens `model` accepts without beta headers, matched on
// the model family so dated ids and aliases (claude-sonnet-4-5,
// claude-3-5-haiku-latest) resolve too. nullopt for models not known here.
std::optional<std::int64_t> claude_max_output_tokens(std::string_view model);

// True when `model` is a Claude model that refuses temperature and top_p
// together: Opus 4.1, Sonnet and Haiku 4.5, and every later version
// (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4).
// Takes Anthropic ids (claude-sonnet-4-5, claude-opus-4-1-20250805) and
// Bedrock ones (us.anthropic.claude-sonnet-4-5-20250929-v1:0).
bool claude_refuses_temperature_with_top_p(std::string_view model);

}  // namespace llmgw::providers
