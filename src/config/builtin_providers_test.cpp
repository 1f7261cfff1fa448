#include "config/builtin_providers.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace llmgw {
namespace {

provider_config vendor(std::string_view name, std::map<std::string, std::string> vars) {
  return builtin_vendor_for_test(name, std::move(vars));
}

TEST(builtin_providers, every_builtin_vendor_is_listed_once) {
  const auto& names = builtin_vendor_names();
  for (std::string_view n : {"openai", "azure", "groq", "mistral", "deepseek", "together", "fireworks", "xai",
                             "openrouter", "ollama", "vllm", "anthropic"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 1) << n;
  }
  EXPECT_EQ(builtin_vendors(fake_env({})).size(), names.size());
  EXPECT_FALSE(builtin_vendor("openai-compatible", fake_env({})).has_value());
  EXPECT_FALSE(builtin_vendor("mock", fake_env({})).has_value());
}

TEST(builtin_providers, nothing_is_enabled_without_environment) {
  for (const auto& p : builtin_vendors(fake_env({}))) {
    EXPECT_FALSE(p.enabled) << p.name;
    EXPECT_FALSE(p.disabled_reason.empty()) << p.name;
    EXPECT_TRUE(p.api_key.empty()) << p.name;
  }
  EXPECT_NE(vendor("groq", {}).disabled_reason.find("GROQ_API_KEY"), std::string::npos);
  EXPECT_NE(vendor("ollama", {}).disabled_reason.find("OLLAMA_BASE_URL"), std::string::npos);
}

TEST(builtin_providers, api_key_enables_with_default_base_url) {
  const auto p = vendor("openai", {{"OPENAI_API_KEY", "sk-test"}});
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.kind, provider_kind::openai_compatible);
  EXPECT_EQ(p.api_key, "sk-test");
  EXPECT_EQ(p.scheme, "https");
  EXPECT_EQ(p.host, "api.openai.com");
  EXPECT_EQ(p.port, 443);
  EXPECT_TRUE(p.tls);
  EXPECT_EQ(p.path_prefix, "/v1");
  EXPECT_EQ(p.host_header, "api.openai.com");
  EXPECT_NE(std::find(p.models.begin(), p.models.end(), "gpt-4o-mini"), p.models.end());
}

TEST(builtin_providers, empty_api_key_does_not_enable) {
  EXPECT_FALSE(vendor("openai", {{"OPENAI_API_KEY", ""}}).enabled);
}

TEST(builtin_providers, default_base_urls) {
  const std::map<std::string, std::string> expected = {
      {"openai", "https://api.openai.com/v1"},
      {"groq", "https://api.groq.com/openai/v1"},
      {"mistral", "https://api.mistral.ai/v1"},
      {"deepseek", "https://api.deepseek.com/v1"},
      {"together", "https://api.together.xyz/v1"},
      {"fireworks", "https://api.fireworks.ai/inference/v1"},
      {"xai", "https://api.x.ai/v1"},
      {"openrouter", "https://openrouter.ai/api/v1"},
      {"ollama", "http://localhost:11434/v1"},
      {"vllm", "http://localhost:8000/v1"},
      {"anthropic", "https://api.anthropic.com"},
  };
  for (const auto& [name, url] : expected) EXPECT_EQ(vendor(name, {}).base_url, url) << name;
  const auto groq = vendor("groq", {{"GROQ_API_KEY", "k"}});
  EXPECT_EQ(groq.host, "api.groq.com");
  EXPECT_EQ(groq.path_prefix, "/openai/v1");
}

TEST(builtin_providers, base_url_override_with_and_without_trailing_slash) {
  for (std::string url : {"http://127.0.0.1:9000/v1", "http://127.0.0.1:9000/v1/", "http://127.0.0.1:9000/v1//"}) {
    const auto p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", url}});
    EXPECT_EQ(p.base_url, url);
    EXPECT_EQ(p.scheme, "http");
    EXPECT_FALSE(p.tls);
    EXPECT_EQ(p.host, "127.0.0.1");
    EXPECT_EQ(p.port, 9000);
    EXPECT_EQ(p.path_prefix, "/v1") << url;
    EXPECT_EQ(p.host_header, "127.0.0.1:9000");
  }
  for (std::string url : {"http://localhost:9000", "http://localhost:9000/"}) {
    const auto p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", url}});
    EXPECT_EQ(p.path_prefix, "") << url;
  }
}

TEST(builtin_providers, default_port_is_left_out_of_host_header) {
  auto p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "https://proxy.example:443/v1"}});
  EXPECT_EQ(p.host_header, "proxy.example");
  p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "http://proxy.example/v1"}});
  EXPECT_EQ(p.port, 80);
  EXPECT_EQ(p.host_header, "proxy.example");
  p = vendor("openai", {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "https://proxy.example:8443/v1"}});
  EXPECT_EQ(p.host_header, "proxy.example:8443");
}

TEST(builtin_providers, ipv6_host) {
  const auto p = vendor("vllm", {{"VLLM_BASE_URL", "http://[::1]:8001/v1"}});
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.host, "::1");
  EXPECT_EQ(p.port, 8001);
  EXPECT_EQ(p.host_header, "[::1]:8001");
}

TEST(builtin_providers, malformed_base_url_of_enabled_vendor_names_the_variable) {
  try {
    vendor("groq", {{"GROQ_API_KEY", "k"}, {"GROQ_BASE_URL", "api.groq.com/v1"}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("GROQ_BASE_URL"), std::string::npos) << e.what();
  }
  // A vendor nobody enabled keeps its default instead of failing start-up.
  const auto p = vendor("groq", {{"GROQ_BASE_URL", "not a url"}});
  EXPECT_FALSE(p.enabled);
  EXPECT_EQ(p.base_url, "https://api.groq.com/openai/v1");
}

TEST(builtin_providers, set_base_url_rejects_what_it_cannot_use) {
  provider_config p;
  for (std::string_view bad : {"", "not a url", "/v1", "ftp://example.com/v1", "http://", "http://example.com/v1?x=1",
                               "http://example.com/v1#frag", "http://example.com:0/v1", "http://example.com:70000/v1",
                               "http://example.com:12ab/v1"}) {
    EXPECT_THROW(set_base_url(p, bad), std::invalid_argument) << bad;
  }
  try {
    set_base_url(p, "https://user:hunter2@example.com/v1");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(p.base_url.empty()) << "a failed parse must leave the provider untouched";
}

TEST(builtin_providers, local_servers_are_enabled_by_url_or_key_and_need_no_key) {
  const auto by_url = vendor("ollama", {{"OLLAMA_BASE_URL", "http://gpu-box:11434/v1"}});
  EXPECT_TRUE(by_url.enabled);
  EXPECT_EQ(by_url.host, "gpu-box");
  EXPECT_EQ(by_url.path_prefix, "/v1");
  EXPECT_TRUE(by_url.api_key.empty());

  const auto by_key = vendor("vllm", {{"VLLM_API_KEY", "token"}});
  EXPECT_TRUE(by_key.enabled);
  EXPECT_EQ(by_key.host, "localhost");
  EXPECT_EQ(by_key.port, 8000);
  EXPECT_EQ(by_key.api_key, "token");
  EXPECT_FALSE(vendor_needs_api_key("ollama"));
  EXPECT_TRUE(vendor_needs_api_key("groq"));
}

TEST(builtin_providers, azure_needs_key_and_endpoint) {
  EXPECT_FALSE(vendor("azure", {}).enabled);
  const auto no_endpoint = vendor("azure", {{"AZURE_OPENAI_API_KEY", "k"}});
  EXPECT_FALSE(no_endpoint.enabled);
  EXPECT_NE(no_endpoint.disabled_reason.find("AZURE_OPENAI_ENDPOINT"), std::string::npos);
  EXPECT_FALSE(vendor("azure", {{"AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"}}).enabled);
  const auto alt_key =
      vendor("azure", {{"AZURE_API_KEY", "k2"}, {"AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"}});
  EXPECT_TRUE(alt_key.enabled);
  EXPECT_EQ(alt_key.api_key, "k2");
}

TEST(builtin_providers, azure_api_version_from_environment) {
  std::map<std::string, std::string> env = {{"AZURE_OPENAI_API_KEY", "k"},
                                            {"AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"}};
  // Unset, the family's default applies (providers/registry.cpp).
  EXPECT_EQ(vendor("azure", env).api_version, "");
  env["AZURE_API_VERSION"] = "2024-06-01";
  EXPECT_EQ(vendor("azure", env).api_version, "2024-06-01");
  env["OPENAI_API_VERSION"] = "2025-01-01-preview";
  EXPECT_EQ(vendor("azure", env).api_version, "2025-01-01-preview");
}

TEST(builtin_providers, runtime_provider_for_demo_mode) {
  const auto mock = make_openai_compatible("mock", "http://127.0.0.1:18080/v1", "", {"mock-gpt"});
  EXPECT_TRUE(mock.enabled);
  EXPECT_EQ(mock.name, "mock");
  EXPECT_EQ(mock.port, 18080);
  EXPECT_EQ(mock.models, std::vector<std::string>{"mock-gpt"});
  EXPECT_EQ(mock.kind, provider_kind::openai_compatible);
  EXPECT_EQ(mock.path_prefix, "/v1");
  EXPECT_TRUE(mock.api_key.empty());
  EXPECT_THROW(make_openai_compatible("bad", "nope", "", {}), std::invalid_argument);
}

}  // namespace
}  // namespace llmgw
