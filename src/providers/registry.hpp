#pragma once
// Every vendor family in one table: how the gateway speaks to it (auth
// header, endpoint paths, API version) and which adapter, if any, translates
// its wire format. A new family is a row here (and its enumerator in
// core/provider_kind.hpp); a new vendor of a known family is configuration
// (config/builtin_providers.cpp).
#include <cstdint>
#include <span>
#include <string_view>

#include "core/provider_kind.hpp"
#include "providers/provider.hpp"

namespace llmgw::providers {

// How a request the gateway builds itself carries the provider's api_key.
enum class auth_style : std::uint8_t {
  bearer,          // authorization: Bearer K
  api_key_header,  // api-key: K (Azure)
  x_api_key,       // x-api-key: K (Anthropic)
  by_adapter,      // the adapter adds its own (Gemini's x-goog-api-key, Bedrock's SigV4)
};

struct vendor_family {
  provider_kind kind = provider_kind::openai_compatible;
  std::string_view name{};  // the adapter's name for find_adapter and its tests/fixtures folder
  auth_style auth = auth_style::bearer;
  // Paths, under the base URL, of the requests the gateway builds without
  // the adapter; "{model}" stands for the vendor model as one path segment.
  // Empty: the gateway does not build that request (the adapter does, or
  // the vendor has no such endpoint).
  std::string_view chat_path{};
  std::string_view embeddings_path{};
  std::string_view models_path{};
  // Where the provider's api_version goes, and the version sent when none
  // is configured.
  std::string_view version_query{};   // a query parameter, e.g. "api-version"
  std::string_view version_header{};  // a header, e.g. "anthropic-version"
  std::string_view default_version{};
  // The adapter for this family's wire format; nullptr: OpenAI's API, which
  // the gateway sends as it is. Adapters are stateless: one instance serves
  // every thread.
  const provider& (*adapter)() = nullptr;
};

// All families, in the order of provider_kind.
std::span<const vendor_family> vendor_families();

// The row of `kind`.
const vendor_family& family_of(provider_kind kind);

// The adapter of `kind`, or nullptr when the family speaks OpenAI's API.
const provider* adapter_of(provider_kind kind);

// The adapter of the family named `name` ("anthropic", "gemini", "bedrock"),
// or nullptr when that family speaks OpenAI's API (or is unknown).
const provider* find_adapter(std::string_view name);

}  // namespace llmgw::providers
