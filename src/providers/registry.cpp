#include "providers/registry.hpp"

#include <array>
#include <cstddef>

#include "providers/anthropic.hpp"
#include "providers/bedrock.hpp"
#include "providers/gemini.hpp"

namespace llmgw::providers {
namespace {

constexpr std::array k_families{
    vendor_family{
        .kind = provider_kind::openai_compatible,
        .name = "openai-compatible",
        .auth = auth_style::bearer,
        .chat_path = "/chat/completions",
        .embeddings_path = "/embeddings",
        .models_path = "/models",
    },
    vendor_family{
        .kind = provider_kind::azure,
        .name = "azure",
        .auth = auth_style::api_key_header,
        .chat_path = "/openai/deployments/{model}/chat/completions",
        .embeddings_path = "/openai/deployments/{model}/embeddings",
        .models_path = "/openai/models",
        .version_query = "api-version",
        .default_version = "2024-10-21",
    },
    // The adapter translates OpenAI's API; an Anthropic client's request is
    // passed through to /v1/messages as it is.
    vendor_family{
        .kind = provider_kind::anthropic,
        .name = "anthropic",
        .auth = auth_style::x_api_key,
        .chat_path = "/v1/messages",
        .models_path = "/v1/models",
        .version_header = "anthropic-version",
        .default_version = k_anthropic_default_version,
        .adapter = &anthropic_provider,
    },
    // Their paths depend on the model and on streaming: the adapter builds them.
    vendor_family{
        .kind = provider_kind::gemini,
        .name = "gemini",
        .auth = auth_style::by_adapter,
        .adapter = &gemini_provider,
    },
    vendor_family{
        .kind = provider_kind::bedrock,
        .name = "bedrock",
        .auth = auth_style::by_adapter,
        .adapter = &bedrock_provider,
    },
};

// family_of() indexes the table by kind.
constexpr bool in_kind_order() {
  for (std::size_t i = 0; i < k_families.size(); ++i) {
    if (static_cast<std::size_t>(k_families[i].kind) != i) return false;
  }
  return true;
}
static_assert(in_kind_order(), "k_families must list one row per provider_kind, in the enum's order");

}  // namespace

std::span<const vendor_family> vendor_families() { return k_families; }

const vendor_family& family_of(provider_kind kind) { return k_families.at(static_cast<std::size_t>(kind)); }

const provider* adapter_of(provider_kind kind) {
  const vendor_family& f = family_of(kind);
  return f.adapter != nullptr ? &f.adapter() : nullptr;
}

const provider* find_adapter(std::string_view name) {
  for (const vendor_family& f : k_families) {
    if (f.name == name) return adapter_of(f.kind);
  }
  return nullptr;
}

}  // namespace llmgw::providers
