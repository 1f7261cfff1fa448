#include "routing/router.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace llmgw {
namespace {

const std::map<std::string, std::string> k_all_keys = {
    {"OPENAI_API_KEY", "sk"},  {"ANTHROPIC_API_KEY", "ant"}, {"GROQ_API_KEY", "gsk"},
    {"MISTRAL_API_KEY", "mk"}, {"DEEPSEEK_API_KEY", "dk"},   {"XAI_API_KEY", "xk"},
};

config load(std::string_view yaml, std::map<std::string, std::string> env = k_all_keys) {
  return load_config_from_string(yaml, fake_env(std::move(env)), "gw.yaml");
}

// The vendor and vendor model of the first attempt, or the error message.
struct outcome {
  std::string vendor;
  std::string model;
  int status = 200;
  std::string message;
};

outcome resolve(const router& r, std::string_view model, std::uint64_t random = 0) {
  const auto result = r.resolve(model, random);
  if (!result) return {"", "", result.error().status, result.error().message};
  EXPECT_FALSE(result->attempts.empty());
  EXPECT_EQ(result->requested_model, model);
  return {result->attempts.front().provider->name, result->attempts.front().model, 200, ""};
}

TEST(router, builtin_prefix_rules) {
  const router r(load(""));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gpt-4o", "openai"},
      {"gpt-4o-mini", "openai"},
      {"o1", "openai"},
      {"o1-mini", "openai"},
      {"o3-mini", "openai"},
      {"o4-mini", "openai"},
      {"chatgpt-4o-latest", "openai"},
      {"text-embedding-3-small", "openai"},
      {"claude-3-5-haiku-latest", "anthropic"},
      {"llama-3.1-8b-instant", "groq"},
      {"llama3-70b-8192", "groq"},
      {"mixtral-8x7b-32768", "groq"},
      {"gemma2-9b-it", "groq"},
      {"mistral-large-latest", "mistral"},
      {"codestral-latest", "mistral"},
      {"deepseek-chat", "deepseek"},
      {"grok-3", "xai"},
  };
  for (const auto& [model, vendor] : cases) {
    const auto result = r.resolve(model, 0);
    ASSERT_TRUE(result) << model << ": " << result.error().message;
    ASSERT_EQ(result->attempts.size(), 1u);
    EXPECT_EQ(result->attempts[0].provider->name, vendor) << model;
    EXPECT_EQ(result->attempts[0].model, model);
    EXPECT_FALSE(result->attempts[0].model_rewritten) << model;
  }
  EXPECT_EQ(resolve(r, "claude-3-5-haiku-latest").vendor, "anthropic");
  EXPECT_EQ(r.find_provider("anthropic")->kind, provider_kind::anthropic);
}

TEST(router, prefix_rule_needs_the_vendor_enabled) {
  const router r(load("", {{"GROQ_API_KEY", "gsk"}}));
  const outcome o = resolve(r, "gpt-4o");
  EXPECT_EQ(o.status, 404);
  EXPECT_NE(o.message.find("gpt-4o"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("OPENAI_API_KEY"), std::string::npos) << o.message;
  EXPECT_EQ(resolve(r, "llama-3.3-70b-versatile").vendor, "groq");
}

TEST(router, unknown_model_is_model_not_found_naming_it) {
  const router r(load(""));
  for (std::string_view model : {"totally-unknown", "/gpt-4o", "meta-llama/Llama-3-8b", "GPT-4O"}) {
    const auto result = r.resolve(model, 0);
    ASSERT_FALSE(result) << model;
    EXPECT_EQ(result.error().status, 404);
    EXPECT_EQ(result.error().code, "model_not_found");
    EXPECT_NE(result.error().message.find("`" + std::string(model) + "`"), std::string::npos) << result.error().message;
  }
}

TEST(router, explicit_vendor_keeps_the_rest_verbatim) {
  const router r(load(""));
  const auto result = r.resolve("groq/openai/gpt-oss-120b", 0);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->attempts.size(), 1u);
  EXPECT_EQ(result->requested_model, "groq/openai/gpt-oss-120b");
  EXPECT_EQ(result->attempts[0].provider->name, "groq");
  EXPECT_EQ(result->attempts[0].model, "openai/gpt-oss-120b");
  EXPECT_TRUE(result->attempts[0].model_rewritten);

  const outcome o = resolve(r, "openai/gpt-4o");
  EXPECT_EQ(o.vendor, "openai");
  EXPECT_EQ(o.model, "gpt-4o");
  // An explicit vendor wins over prefix rules on the remainder.
  EXPECT_EQ(resolve(r, "groq/gpt-4o").vendor, "groq");
  EXPECT_EQ(resolve(r, "anthropic/claude-x").vendor, "anthropic");
  EXPECT_EQ(resolve(r, "openai/").status, 400);
}

TEST(router, empty_and_dot_segment_model_ids_are_refused_for_every_vendor) {
  const router r(load("", {{"OPENAI_API_KEY", "sk"},
                           {"AZURE_OPENAI_API_KEY", "az"},
                           {"AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"},
                           {"GEMINI_API_KEY", "gk"},
                           {"AWS_ACCESS_KEY_ID", "AKID"},
                           {"AWS_SECRET_ACCESS_KEY", "s"}}));
  for (std::string_view model :
       {"azure/..", "azure/.", "azure/", "azure/%2e%2e", "azure/.%2E", "azure/a/../b", "gemini/..", "gemini/models/..",
        "bedrock/..", "bedrock/%252e%252e", "openai/..", "..", ".", "%2e%2e", "gpt-4o/..", ""}) {
    const auto result = r.resolve(model, 0);
    ASSERT_FALSE(result) << model;
    EXPECT_EQ(result.error().status, 400) << model;
    EXPECT_EQ(result.error().param, "model") << model;
    EXPECT_EQ(result.error().type, "invalid_request_error") << model;
  }
  // Dots inside a name are fine.
  EXPECT_EQ(resolve(r, "azure/my.deployment").model, "my.deployment");
  EXPECT_EQ(resolve(r, "gemini/gemini-2.5-flash").model, "gemini-2.5-flash");
  EXPECT_EQ(resolve(r, "bedrock/anthropic.claude-3-haiku-20240307-v1:0").vendor, "bedrock");
}

TEST(router, explicit_vendor_without_key_says_so) {
  const router r(load("", {{"OPENAI_API_KEY", "sk"}}));
  const outcome o = resolve(r, "groq/openai/gpt-oss-120b");
  EXPECT_EQ(o.status, 404);
  EXPECT_NE(o.message.find("groq/openai/gpt-oss-120b"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("no API key configured"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("GROQ_API_KEY"), std::string::npos) << o.message;
  // `openai/...` here is Groq's model namespace, not the enabled openai vendor.
  EXPECT_EQ(resolve(r, "openai/gpt-oss-120b").vendor, "openai");
}

TEST(router, explicit_config_and_runtime_providers) {
  config cfg = load("providers:\n  - {name: backup, base_url: 'http://127.0.0.1:9/v1', models: [gpt-4o-mini]}\n");
  add_provider(cfg, make_openai_compatible("mock", "http://127.0.0.1:18080/v1", "", {"mock-gpt"}));
  const router r(cfg);
  EXPECT_EQ(resolve(r, "backup/gpt-4o-mini").vendor, "backup");
  EXPECT_EQ(resolve(r, "mock/mock-gpt").vendor, "mock");
  EXPECT_EQ(resolve(r, "mock/mock-gpt").model, "mock-gpt");
  EXPECT_EQ(resolve(r, "mock-gpt").status, 404);
}

TEST(router, aliases_resolve_through_every_rule) {
  const router r(load(R"(
aliases:
  fast: groq/llama-3.1-8b-instant
  quick: fast
  smart: gpt-4o
  main: gpt-main
  broken: vllm/some-model
model_groups:
  gpt-main:
    - {provider: openai, model: gpt-4o-mini}
)"));
  auto result = r.resolve("fast", 0);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->requested_model, "fast");
  EXPECT_EQ(result->attempts[0].provider->name, "groq");
  EXPECT_EQ(result->attempts[0].model, "llama-3.1-8b-instant");
  EXPECT_TRUE(result->attempts[0].model_rewritten);

  EXPECT_EQ(resolve(r, "quick").model, "llama-3.1-8b-instant");
  EXPECT_EQ(resolve(r, "smart").vendor, "openai");
  EXPECT_EQ(resolve(r, "smart").model, "gpt-4o");
  EXPECT_EQ(resolve(r, "main").model, "gpt-4o-mini");

  const outcome broken = resolve(r, "broken");
  EXPECT_EQ(broken.status, 404);
  EXPECT_NE(broken.message.find("`broken`"), std::string::npos) << broken.message;
  EXPECT_NE(broken.message.find("vllm"), std::string::npos) << broken.message;
}

TEST(router, alias_to_unknown_model) {
  const router r(load("aliases:\n  x: nothing-like-this\n"));
  const outcome o = resolve(r, "x");
  EXPECT_EQ(o.status, 404);
  EXPECT_NE(o.message.find("nothing-like-this"), std::string::npos) << o.message;
}

constexpr std::string_view k_group_yaml = R"(
providers:
  - {name: backup, base_url: 'http://127.0.0.1:9/v1'}
  - {name: spare, base_url: 'http://127.0.0.1:10/v1'}
model_groups:
  gpt-main:
    - {provider: openai, model: gpt-4o-mini, weight: 3}
    - {provider: backup, model: gpt-4o-mini-b, weight: 1}
  trio:
    - {provider: spare, model: s, weight: 1}
    - {provider: openai, model: o, weight: 5}
    - {provider: backup, model: b, weight: 2}
  standby:
    - {provider: backup, model: b, weight: 0}
    - {provider: openai, model: o, weight: 1}
  zeros:
    - {provider: backup, model: b, weight: 0}
    - {provider: openai, model: o, weight: 0}
)";

TEST(router, weighted_first_pick_is_exact_over_the_random_range) {
  const router r(load(k_group_yaml));
  std::map<std::string, int> firsts;
  for (std::uint64_t random = 0; random < 4000; ++random) {
    const auto result = r.resolve("gpt-main", random);
    ASSERT_TRUE(result);
    ++firsts[result->attempts[0].provider->name];
  }
  EXPECT_EQ(firsts["openai"], 3000);
  EXPECT_EQ(firsts["backup"], 1000);
}

TEST(router, weighted_pick_distribution_with_fixed_seed) {
  const router r(load(k_group_yaml));
  std::mt19937_64 rng(42);
  std::map<std::string, int> firsts;
  constexpr int k_draws = 8000;
  for (int i = 0; i < k_draws; ++i) ++firsts[resolve(r, "trio", rng()).vendor];
  // Weights 1:5:2 of 8 → 1000 / 5000 / 2000, within a few percent.
  EXPECT_NEAR(firsts["spare"], 1000, 150);
  EXPECT_NEAR(firsts["openai"], 5000, 250);
  EXPECT_NEAR(firsts["backup"], 2000, 200);
}

TEST(router, failover_follows_the_weights) {
  const router r(load(k_group_yaml));
  const auto names = [&](std::uint64_t random) {
    const auto result = r.resolve("trio", random);
    std::vector<std::string> out;
    for (const auto& a : result->attempts) out.push_back(a.provider->name + ":" + a.model);
    return out;
  };
  // random % 8: 0 → spare, 1..5 → openai, 6..7 → backup.
  EXPECT_EQ(names(0), (std::vector<std::string>{"spare:s", "openai:o", "backup:b"}));
  EXPECT_EQ(names(1), (std::vector<std::string>{"openai:o", "backup:b", "spare:s"}));
  EXPECT_EQ(names(6), (std::vector<std::string>{"backup:b", "openai:o", "spare:s"}));
  EXPECT_EQ(names(8), names(0));

  const auto result = r.resolve("gpt-main", 3);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->attempts.size(), 2u);
  EXPECT_EQ(result->attempts[0].provider->name, "backup");
  EXPECT_EQ(result->attempts[0].model, "gpt-4o-mini-b");
  EXPECT_TRUE(result->attempts[0].model_rewritten);
  EXPECT_EQ(result->attempts[1].provider->name, "openai");
  EXPECT_EQ(result->attempts[1].weight, 3u);
}

TEST(router, zero_weight_is_failover_only) {
  const router r(load(k_group_yaml));
  for (std::uint64_t random = 0; random < 10; ++random) {
    const auto result = r.resolve("standby", random);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->attempts.size(), 2u);
    EXPECT_EQ(result->attempts[0].provider->name, "openai");
    EXPECT_EQ(result->attempts[1].provider->name, "backup");
  }
  // All zero: the first listed goes first.
  EXPECT_EQ(resolve(r, "zeros", 12345).vendor, "backup");
}

TEST(router, group_skips_disabled_vendors) {
  const router r(load(k_group_yaml, {}));  // openai has no key
  EXPECT_FALSE(r.warnings().empty());
  for (std::uint64_t random = 0; random < 8; ++random) {
    const auto result = r.resolve("gpt-main", random);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->attempts.size(), 1u);
    EXPECT_EQ(result->attempts[0].provider->name, "backup");
  }
  const router none(load("model_groups:\n  g:\n    - {provider: groq, model: m}\n", {}));
  const outcome o = resolve(none, "g");
  EXPECT_EQ(o.status, 404);
  EXPECT_NE(o.message.find("no deployment on an enabled vendor"), std::string::npos) << o.message;
}

TEST(router, deployment_attempts_lists_every_group_deployment_by_its_number) {
  const router r(load(R"(
model_groups:
  g:
    - {provider: openai, model: a, price: {input_per_mtok: 1, output_per_mtok: 2}}
    - {provider: groq, model: b, weight: 0}
  h:
    - {provider: openai, model: c}
)"));
  const auto all = r.deployment_attempts();
  ASSERT_EQ(all.size(), r.deployment_count());
  ASSERT_EQ(all.size(), 3u);
  // Each route's attempt names the same deployment the list has at its number.
  for (std::string_view model : {"g", "h"}) {
    const auto routed = r.resolve(model, 0);
    ASSERT_TRUE(routed);
    for (const auto& a : routed->attempts) {
      ASSERT_LT(a.deployment, all.size());
      EXPECT_EQ(all[a.deployment].provider, a.provider);
      EXPECT_EQ(all[a.deployment].model, a.model);
      EXPECT_EQ(all[a.deployment].price, a.price);
      EXPECT_EQ(all[a.deployment].deployment, a.deployment);
    }
  }
  const auto g = r.resolve("g", 0);
  ASSERT_TRUE(g);
  EXPECT_EQ(all[g->attempts[0].deployment].price->output_per_mtok, 2);
}

TEST(router, group_with_unknown_provider_fails_at_build) {
  const config cfg = load(
      "# groups\nmodel_groups:\n  g:\n    - {provider: openai, model: m}\n"
      "    - {provider: bakup, model: m}\n");
  try {
    const router r(cfg);
    FAIL() << "expected config_error";
  } catch (const config_error& e) {
    // The file and the line of the bad provider, as for errors the loader finds.
    EXPECT_NE(std::string(e.what()).find("gw.yaml:5: model_groups.g[1].provider"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bakup"), std::string::npos) << e.what();
  }
}

TEST(router, resolve_without_random_source) {
  const router r(load(k_group_yaml));
  for (int i = 0; i < 20; ++i) {
    const auto result = r.resolve("gpt-main");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->attempts.size(), 2u);
  }
}

TEST(router, list_models) {
  config cfg = load(R"(
providers:
  - {name: backup, base_url: 'http://127.0.0.1:9/v1', models: [gpt-4o-mini, private-model]}
aliases:
  fast: groq/llama-3.1-8b-instant
model_groups:
  gpt-main:
    - {provider: openai, model: gpt-4o-mini}
)",
                    {{"OPENAI_API_KEY", "sk"}, {"GROQ_API_KEY", "gsk"}});
  add_provider(cfg, make_openai_compatible("mock", "http://127.0.0.1:1/v1", "", {"mock-gpt"}));
  const router r(cfg);
  std::map<std::string, std::string> listed;
  for (const auto& m : r.list_models()) {
    EXPECT_TRUE(listed.emplace(m.id, m.owned_by).second) << "duplicate " << m.id;
    EXPECT_TRUE(r.resolve(m.id, 0)) << m.id << " is listed but does not route";
  }
  EXPECT_EQ(listed["gpt-main"], "llmgw");
  EXPECT_EQ(listed["fast"], "groq");
  EXPECT_EQ(listed["gpt-4o"], "openai");
  EXPECT_EQ(listed["text-embedding-3-small"], "openai");
  EXPECT_EQ(listed["llama-3.1-8b-instant"], "groq");
  // A bare id that would route elsewhere is listed with its vendor.
  EXPECT_EQ(listed["groq/openai/gpt-oss-120b"], "groq");
  EXPECT_FALSE(listed.contains("openai/gpt-oss-120b"));
  EXPECT_EQ(listed["backup/gpt-4o-mini"], "backup");
  EXPECT_EQ(listed["backup/private-model"], "backup");
  EXPECT_EQ(listed["mock/mock-gpt"], "mock");
  // Vendors without a key contribute nothing.
  for (const auto& [id, owner] : listed) {
    EXPECT_NE(owner, "anthropic") << id;
    EXPECT_NE(owner, "mistral") << id;
  }
}

TEST(router, routes_stay_valid_after_moving_the_router) {
  router a(load(k_group_yaml));
  router b(std::move(a));
  const auto result = b.resolve("trio", 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->attempts[0].provider, b.find_provider("openai"));
  EXPECT_EQ(result->attempts[1].provider, b.find_provider("backup"));
}

}  // namespace
}  // namespace llmgw
