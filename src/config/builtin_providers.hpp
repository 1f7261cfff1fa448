#pragma once
// The built-in vendors: for each, the defaults of the settings a user could
// write in `providers:` (family, base URL, models) and the environment
// variables that set the rest (key, base URL, API version). Vendors of the
// same family differ only in these, so each is a table row resolved against
// the environment, not a class. How a family is spoken is not here
// (providers/registry.cpp).
#include <optional>
#include <string_view>
#include <vector>

#include "config/env_subst.hpp"
#include "config/provider_config.hpp"

namespace llmgw {

// Names of the built-in vendors, in table order.
const std::vector<std::string_view>& builtin_vendor_names();

// Every built-in vendor resolved against the environment, enabled or not:
// <VENDOR>_API_KEY enables it, <VENDOR>_BASE_URL re-points it (see
// builtin_providers.cpp for Azure, Ollama, vLLM and Bedrock). Throws
// std::invalid_argument when an enabled vendor's base URL variable is
// malformed (the message names the variable).
std::vector<provider_config> builtin_vendors(const env_lookup& env);

// The built-in vendor `name` resolved against env; nullopt if `name` is not built in.
std::optional<provider_config> builtin_vendor(std::string_view name, const env_lookup& env);

// Whether a vendor of this built-in type works without an API key (local servers).
bool vendor_needs_api_key(std::string_view type);

}  // namespace llmgw
