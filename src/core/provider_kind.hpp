#pragma once
// The wire family a vendor speaks. A plain name shared by config (which
// family a configured provider belongs to) and providers (how each family is
// spoken, in the one table of providers/registry.cpp); it lives here so that
// neither needs the other.
#include <cstdint>

namespace llmgw {

// A new family is an enumerator here and its row in providers/registry.cpp,
// in the same order (a static_assert there checks it).
enum class provider_kind : std::uint8_t {
  openai_compatible,  // OpenAI's API at {base}/chat/completions
  azure,              // OpenAI's API at a per-deployment URL with api-version
  anthropic,          // own format: providers/anthropic.cpp
  gemini,             // own format: providers/gemini.cpp
  bedrock,            // own format and SigV4 signing: providers/bedrock.cpp
};

}  // namespace llmgw
