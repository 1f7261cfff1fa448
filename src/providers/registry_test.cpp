#include "providers/registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "providers/anthropic.hpp"
#include "providers/bedrock.hpp"
#include "providers/gemini.hpp"

namespace llmgw::providers {
namespace {

constexpr provider_kind k_kinds[] = {provider_kind::openai_compatible, provider_kind::azure, provider_kind::anthropic,
                                     provider_kind::gemini, provider_kind::bedrock};

TEST(registry, one_row_per_family) {
  EXPECT_EQ(vendor_families().size(), std::size(k_kinds));
  std::set<std::string_view> names;
  for (provider_kind kind : k_kinds) {
    const vendor_family& f = family_of(kind);
    EXPECT_EQ(f.kind, kind) << f.name;
    EXPECT_FALSE(f.name.empty());
    EXPECT_TRUE(names.insert(f.name).second) << "two families named " << f.name;
  }
}

// A family is reachable: the gateway builds its requests (OpenAI's API, or
// passed through) or its adapter does, never neither.
TEST(registry, every_family_is_spoken_by_the_gateway_or_an_adapter) {
  for (const vendor_family& f : vendor_families()) {
    SCOPED_TRACE(f.name);
    if (f.adapter == nullptr) {
      EXPECT_FALSE(f.chat_path.empty());
      EXPECT_NE(f.auth, auth_style::by_adapter);
    }
    if (f.auth == auth_style::by_adapter) {
      EXPECT_NE(f.adapter, nullptr);
      EXPECT_TRUE(f.chat_path.empty() && f.embeddings_path.empty() && f.models_path.empty());
    }
    const bool versioned = !f.version_query.empty() || !f.version_header.empty();
    EXPECT_EQ(versioned, !f.default_version.empty());
  }
}

TEST(registry, adapters_are_found_through_the_table) {
  EXPECT_EQ(adapter_of(provider_kind::openai_compatible), nullptr);
  EXPECT_EQ(adapter_of(provider_kind::azure), nullptr);
  EXPECT_EQ(adapter_of(provider_kind::anthropic), &anthropic_provider());
  EXPECT_EQ(adapter_of(provider_kind::gemini), &gemini_provider());
  EXPECT_EQ(adapter_of(provider_kind::bedrock), &bedrock_provider());
  for (const vendor_family& f : vendor_families()) EXPECT_EQ(find_adapter(f.name), adapter_of(f.kind)) << f.name;
  EXPECT_EQ(find_adapter("anthropic"), &anthropic_provider());
  EXPECT_EQ(find_adapter("groq"), nullptr);
  EXPECT_EQ(find_adapter(""), nullptr);
}

}  // namespace
}  // namespace llmgw::providers
