#include "routing/vendors.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <map>
#include <stdexcept>

#include "config/builtin_providers.hpp"
#include "providers/registry.hpp"

namespace llmgw {
namespace {

provider_config vendor(std::string_view name, std::map<std::string, std::string> vars) {
  return builtin_vendor_for_test(name, std::move(vars));
}

TEST(vendors, bearer_target_for_each_endpoint) {
  const auto p = vendor("groq", {{"GROQ_API_KEY", "gsk-1"}});
  const auto chat = make_target(p, endpoint::chat_completions, "llama-3.1-8b-instant");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->host, "api.groq.com");
  EXPECT_EQ(chat->port, 443);
  EXPECT_TRUE(chat->tls);
  EXPECT_EQ(chat->target, "/openai/v1/chat/completions");
  EXPECT_EQ(chat->host_header, "api.groq.com");
  EXPECT_EQ(chat->auth_header_name, "authorization");
  EXPECT_EQ(chat->auth_header_value, "Bearer gsk-1");
  EXPECT_TRUE(chat->extra_headers.empty());
  EXPECT_EQ(make_target(p, endpoint::embeddings, "x")->target, "/openai/v1/embeddings");
  EXPECT_EQ(make_target(p, endpoint::models, "")->target, "/openai/v1/models");
}

TEST(vendors, target_is_the_base_path_and_the_endpoint) {
  for (std::string url : {"http://127.0.0.1:9000/v1", "http://127.0.0.1:9000/v1/", "http://127.0.0.1:9000/v1//"}) {
    const auto p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", url}});
    EXPECT_EQ(make_target(p, endpoint::chat_completions, "gpt-4o")->target, "/v1/chat/completions") << url;
  }
  for (std::string url : {"http://localhost:9000", "http://localhost:9000/"}) {
    const auto p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", url}});
    EXPECT_EQ(make_target(p, endpoint::chat_completions, "m")->target, "/chat/completions") << url;
  }
}

TEST(vendors, no_auth_header_without_a_key) {
  const auto by_url = vendor("ollama", {{"OLLAMA_BASE_URL", "http://gpu-box:11434/v1"}});
  const auto target = make_target(by_url, endpoint::chat_completions, "llama3.2");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->target, "/v1/chat/completions");
  EXPECT_TRUE(target->auth_header_name.empty());
  EXPECT_TRUE(target->auth_header_value.empty());
  EXPECT_EQ(make_target(vendor("vllm", {{"VLLM_API_KEY", "token"}}), endpoint::embeddings, "m")->auth_header_value,
            "Bearer token");
  const auto mock = make_openai_compatible("mock", "http://127.0.0.1:18080/v1", "", {"mock-gpt"});
  const auto t = make_target(mock, endpoint::chat_completions, "mock-gpt");
  EXPECT_EQ(t->target, "/v1/chat/completions");
  EXPECT_TRUE(t->auth_header_name.empty());
}

TEST(vendors, azure_target_url) {
  const auto p = vendor("azure", {{"AZURE_OPENAI_API_KEY", "az-key"},
                                  {"AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com/"}});
  ASSERT_TRUE(p.enabled);
  EXPECT_EQ(p.kind, provider_kind::azure);
  const auto chat = make_target(p, endpoint::chat_completions, "gpt4o-prod");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->host, "my-resource.openai.azure.com");
  EXPECT_EQ(chat->port, 443);
  EXPECT_TRUE(chat->tls);
  EXPECT_EQ(chat->target, "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(chat->auth_header_name, "api-key");
  EXPECT_EQ(chat->auth_header_value, "az-key");
  EXPECT_TRUE(chat->extra_headers.empty());
  EXPECT_EQ(make_target(p, endpoint::embeddings, "emb-small")->target,
            "/openai/deployments/emb-small/embeddings?api-version=2024-10-21");
  EXPECT_EQ(make_target(p, endpoint::models, "")->target, "/openai/models?api-version=2024-10-21");
  // A deployment name cannot escape its path segment.
  EXPECT_EQ(make_target(p, endpoint::chat_completions, "a/b?c")->target,
            "/openai/deployments/a%2Fb%3Fc/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(make_target(p, endpoint::chat_completions, "a b#c")->target,
            "/openai/deployments/a%20b%23c/chat/completions?api-version=2024-10-21");
  // Nor become a dot segment, which encoding would keep as it is.
  for (std::string_view bad : {"..", ".", "", "%2e%2e", "a/../b"}) {
    EXPECT_FALSE(make_target(p, endpoint::chat_completions, bad)) << bad;
    EXPECT_FALSE(make_target(p, endpoint::embeddings, bad)) << bad;
  }
  EXPECT_TRUE(make_target(p, endpoint::models, ""));
}

TEST(vendors, azure_api_version_from_environment) {
  const auto p = vendor("azure", {{"AZURE_OPENAI_API_KEY", "k"},
                                  {"AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"},
                                  {"OPENAI_API_VERSION", "2025-01-01-preview"}});
  EXPECT_EQ(make_target(p, endpoint::chat_completions, "d")->target,
            "/openai/deployments/d/chat/completions?api-version=2025-01-01-preview");
}

TEST(vendors, anthropic_base_url_is_the_api_root) {
  const auto p =
      vendor("anthropic", {{"ANTHROPIC_API_KEY", "ant-key"}, {"ANTHROPIC_BASE_URL", "http://127.0.0.1:7000"}});
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.kind, provider_kind::anthropic);
  const auto chat = make_target(p, endpoint::chat_completions, "claude-3-5-haiku-latest");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->target, "/v1/messages");
  EXPECT_EQ(chat->auth_header_name, "x-api-key");
  EXPECT_EQ(chat->auth_header_value, "ant-key");
  ASSERT_EQ(chat->extra_headers.size(), 1u);
  EXPECT_EQ(chat->extra_headers[0].first, "anthropic-version");
  EXPECT_EQ(chat->extra_headers[0].second, "2023-06-01");
  EXPECT_FALSE(make_target(p, endpoint::embeddings, "x").has_value());
  EXPECT_EQ(make_target(vendor("anthropic", {{"ANTHROPIC_API_KEY", "k"}}), endpoint::models, "")->target, "/v1/models");
  const auto pinned = vendor("anthropic", {{"ANTHROPIC_API_KEY", "k"}, {"ANTHROPIC_VERSION", "2099-01-01"}});
  EXPECT_EQ(make_target(pinned, endpoint::chat_completions, "m")->extra_headers.at(0).second, "2099-01-01");
}

// The wire of every family comes from its row in providers/registry.cpp:
// what the gateway builds itself, it builds as the row says; what it does
// not, an adapter does. Every built-in vendor is reachable one way or the other.
TEST(vendors, every_builtin_vendor_is_spoken_as_its_family_row_says) {
  const auto env = fake_env({});
  for (const provider_config& builtin : builtin_vendors(env)) {
    SCOPED_TRACE(builtin.name);
    provider_config p = builtin;
    set_base_url(p, "https://vendor.example/base");
    p.api_key = "k";
    const providers::vendor_family& family = providers::family_of(p.kind);
    EXPECT_EQ(family.kind, p.kind);
    const bool builds_chat = make_target(p, endpoint::chat_completions, "m").has_value();
    EXPECT_TRUE(builds_chat || providers::adapter_of(p.kind) != nullptr) << "no way to reach " << p.name;

    const std::pair<endpoint, std::string_view> paths[] = {{endpoint::chat_completions, family.chat_path},
                                                           {endpoint::embeddings, family.embeddings_path},
                                                           {endpoint::models, family.models_path}};
    for (const auto& [e, path] : paths) {
      const auto t = make_target(p, e, "m");
      ASSERT_EQ(t.has_value(), !path.empty()) << static_cast<int>(e);
      if (!t) continue;
      std::string expected = "/base" + std::string(path);
      if (auto at = expected.find("{model}"); at != std::string::npos) expected.replace(at, 7, "m");
      if (!family.version_query.empty()) {
        expected += "?" + std::string(family.version_query) + "=" + std::string(family.default_version);
      }
      EXPECT_EQ(t->target, expected);
      EXPECT_EQ(t->auth_header_name.empty(), family.auth == providers::auth_style::by_adapter);
      EXPECT_EQ(t->extra_headers.size(), family.version_header.empty() ? 0u : 1u);
    }
  }
}

}  // namespace
}  // namespace llmgw
