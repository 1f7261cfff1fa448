#pragma once
// Every adapter for a vendor with its own wire format, listed in one place.
// OpenAI-compatible vendors are not here: they are data (routing/vendors.cpp).
#include <string_view>

#include "providers/provider.hpp"

namespace llmgw::providers {

// The adapter for a vendor kind ("anthropic", "gemini", "bedrock"), or
// nullptr when the kind speaks OpenAI's format (or is unknown).
const provider* find_adapter(std::string_view kind);

}  // namespace llmgw::providers
