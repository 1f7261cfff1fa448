#include "config/config.hpp"

#include "config/builtin_providers.hpp"
#include "core/sha256.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <map>

namespace llmgw {
namespace {

config load(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return load_test_config(yaml, std::move(env));
}

std::string error_of(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return config_error_of(yaml, std::move(env));
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::string_view k_full_example = R"(
server: {host: 127.0.0.1, port: 9090, workers: 4, max_body_bytes: 2048, read_timeout_ms: 1000, idle_timeout_ms: 2000}
upstream: {connect_timeout_ms: 100, first_byte_timeout_ms: 200, idle_timeout_ms: 300, max_attempts: 2}
providers:
  - name: backup
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    api_key: ${BACKUP_KEY}
    models: [gpt-4o-mini]
keys:
  - {name: team-a, key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}
  - {name: team-b, key: ${TEAM_B_KEY}}
aliases:
  fast: groq/llama-3.1-8b-instant
model_groups:
  gpt-main:
    - {provider: openai, model: gpt-4o-mini, weight: 3}
    - {provider: backup, model: gpt-4o-mini, weight: 1}
)";

TEST(config, environment_only_gives_defaults_and_builtin_vendors) {
  const config cfg = load_config(nullptr, fake_env({{"OPENAI_API_KEY", "sk-1"}}));
  EXPECT_EQ(cfg.source, "environment");
  EXPECT_EQ(cfg.server.host, "0.0.0.0");
  EXPECT_EQ(cfg.server.port, 8080);
  EXPECT_EQ(cfg.server.workers, 0u);
  EXPECT_EQ(cfg.server.max_body_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(cfg.server.read_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(cfg.server.idle_timeout, std::chrono::milliseconds(75000));
  EXPECT_EQ(cfg.upstream.connect_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(cfg.upstream.first_byte_timeout, std::chrono::milliseconds(120000));
  EXPECT_EQ(cfg.upstream.idle_timeout, std::chrono::milliseconds(120000));
  EXPECT_EQ(cfg.upstream.max_attempts, 3u);
  EXPECT_EQ(cfg.upstream.total_timeout, std::chrono::milliseconds(600000));
  EXPECT_EQ(cfg.upstream.max_response_bytes, 64u * 1024 * 1024);
  EXPECT_TRUE(cfg.keys.empty());
  EXPECT_FALSE(cfg.master_key_sha256.has_value());
  EXPECT_EQ(cfg.providers.size(), builtin_vendor_names().size());
  ASSERT_NE(find_provider(cfg, "openai"), nullptr);
  EXPECT_TRUE(find_provider(cfg, "openai")->enabled);
  EXPECT_FALSE(find_provider(cfg, "groq")->enabled);
  EXPECT_EQ(find_provider(cfg, "nope"), nullptr);
}

TEST(config, master_key_is_kept_only_as_its_hash) {
  const config cfg = load_config(nullptr, fake_env({{"LLMGW_MASTER_KEY", "master-secret"}}));
  ASSERT_TRUE(cfg.master_key_sha256.has_value());
  EXPECT_EQ(*cfg.master_key_sha256, sha256_hex("master-secret"));
  EXPECT_FALSE(contains(describe(cfg), "master-secret"));
  EXPECT_FALSE(load_config(nullptr, fake_env({{"LLMGW_MASTER_KEY", ""}})).master_key_sha256.has_value());
}

TEST(config, full_example_loads) {
  const config cfg =
      load(k_full_example, {{"BACKUP_KEY", "bk-1"}, {"TEAM_B_KEY", "team-b-secret"}, {"OPENAI_API_KEY", "sk-1"}});
  EXPECT_EQ(cfg.source, "gw.yaml");
  EXPECT_EQ(cfg.server.host, "127.0.0.1");
  EXPECT_EQ(cfg.server.port, 9090);
  EXPECT_EQ(cfg.server.workers, 4u);
  EXPECT_EQ(cfg.server.max_body_bytes, 2048u);
  EXPECT_EQ(cfg.server.read_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(cfg.server.idle_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(cfg.upstream.connect_timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(cfg.upstream.first_byte_timeout, std::chrono::milliseconds(200));
  EXPECT_EQ(cfg.upstream.idle_timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(cfg.upstream.max_attempts, 2u);

  const provider_config* backup = find_provider(cfg, "backup");
  ASSERT_NE(backup, nullptr);
  EXPECT_TRUE(backup->enabled);
  EXPECT_EQ(backup->kind, provider_kind::openai_compatible);
  EXPECT_EQ(backup->api_key, "bk-1");
  EXPECT_EQ(backup->host, "127.0.0.1");
  EXPECT_EQ(backup->port, 9);
  EXPECT_EQ(backup->path_prefix, "/v1");
  EXPECT_EQ(backup->models, std::vector<std::string>{"gpt-4o-mini"});
  EXPECT_EQ(cfg.providers.size(), builtin_vendor_names().size() + 1);

  ASSERT_EQ(cfg.keys.size(), 2u);
  EXPECT_EQ(cfg.keys[0].name, "team-a");
  EXPECT_EQ(cfg.keys[0].key_sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  EXPECT_EQ(cfg.keys[1].name, "team-b");
  EXPECT_EQ(cfg.keys[1].key_sha256, sha256_hex("team-b-secret"));

  EXPECT_EQ(cfg.aliases.at("fast"), "groq/llama-3.1-8b-instant");
  const auto& group = cfg.model_groups.at("gpt-main");
  ASSERT_EQ(group.size(), 2u);
  EXPECT_EQ(group[0].provider, "openai");
  EXPECT_EQ(group[0].model, "gpt-4o-mini");
  EXPECT_EQ(group[0].weight, 3u);
  EXPECT_EQ(group[1].provider, "backup");
  EXPECT_EQ(group[1].weight, 1u);
}

TEST(config, describe_masks_every_secret) {
  const config cfg = load(k_full_example, {{"BACKUP_KEY", "bk-secret-1"},
                                           {"TEAM_B_KEY", "team-b-secret"},
                                           {"OPENAI_API_KEY", "sk-openai-secret"},
                                           {"LLMGW_MASTER_KEY", "master-secret"}});
  const std::string text = describe(cfg);
  for (std::string_view secret : {"bk-secret-1", "team-b-secret", "sk-openai-secret", "master-secret"}) {
    EXPECT_FALSE(contains(text, secret)) << secret << " leaked into:\n" << text;
  }
  EXPECT_TRUE(contains(text, "backup")) << text;
  EXPECT_TRUE(contains(text, "key: set")) << text;
  EXPECT_TRUE(contains(text, "team-b")) << text;
  EXPECT_TRUE(contains(text, "gpt-main")) << text;
}

TEST(config, empty_document_is_an_empty_config) {
  EXPECT_EQ(load("").server.port, 8080);
  EXPECT_EQ(load("# only a comment\n").server.port, 8080);
  EXPECT_EQ(load("server:\n").server.port, 8080);
}

TEST(config, env_substitution_in_scalars) {
  const config cfg = load("server:\n  host: ${HOST}\n  port: ${PORT:-9999}\n  workers: ${WORKERS:-2}\n",
                          {{"HOST", "10.0.0.1"}, {"PORT", "7000"}});
  EXPECT_EQ(cfg.server.host, "10.0.0.1");
  EXPECT_EQ(cfg.server.port, 7000);
  EXPECT_EQ(cfg.server.workers, 2u);
}

TEST(config, references_work_inside_flow_collections_and_quotes) {
  const config cfg = load(
      "providers:\n  - {name: b, base_url: ${URL}, api_key: \"${K:-none}\", models: [${M}, 'x-${M}', \"$${M}\"]}\n",
      {{"URL", "http://127.0.0.1:5/v1"}, {"M", "m1"}});
  const provider_config* p = find_provider(cfg, "b");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->port, 5);
  EXPECT_EQ(p->api_key, "none");
  EXPECT_EQ(p->models, (std::vector<std::string>{"m1", "x-m1", "${M}"}));
  const std::string e = error_of("server:\n  host: 'abc${'\n");
  EXPECT_TRUE(contains(e, "server.host")) << e;
  EXPECT_TRUE(contains(e, "unterminated")) << e;
}

TEST(config, missing_variable_names_it_and_the_field) {
  const std::string e = error_of(k_full_example, {{"TEAM_B_KEY", "x"}});
  EXPECT_TRUE(contains(e, "BACKUP_KEY")) << e;
  EXPECT_TRUE(contains(e, "providers[0].api_key")) << e;
  EXPECT_TRUE(contains(e, "gw.yaml:8")) << e;
}

TEST(config, wrong_types_name_the_yaml_path) {
  struct bad_case {
    std::string yaml;
    std::string path;
  };
  const std::vector<bad_case> cases = {
      {"server: [1, 2]\n", "server"},
      {"server: {port: abc}\n", "server.port"},
      {"server: {port: 70000}\n", "server.port"},
      {"server: {port: -1}\n", "server.port"},
      {"server: {port: [80]}\n", "server.port"},
      {"server: {workers: 1.5}\n", "server.workers"},
      {"server: {max_body_bytes: 0}\n", "server.max_body_bytes"},
      {"server: {read_timeout_ms: soon}\n", "server.read_timeout_ms"},
      {"server: {host: {a: b}}\n", "server.host"},
      {"server: {prot: 80}\n", "server.prot"},
      {"upstream: {max_attempts: 0}\n", "upstream.max_attempts"},
      {"upstream: {connect_timeout_ms: x}\n", "upstream.connect_timeout_ms"},
      {"unknown_section: 1\n", "unknown_section"},
      {"providers: {name: x}\n", "providers"},
      {"providers:\n  - {name: b, base_url: http://h/v1, models: gpt-4o}\n", "providers[0].models"},
      {"providers:\n  - {name: b, base_url: http://h/v1, models: [[x]]}\n", "providers[0].models[0]"},
      {"providers:\n  - {name: b, base_url: 42x://h}\n", "providers[0].base_url"},
      {"providers:\n  - {name: b, base_url: http://h/v1, colour: red}\n", "providers[0].colour"},
      {"providers:\n  - {base_url: http://h/v1}\n", "providers[0]"},
      {"keys:\n  - {name: a, key_sha256: abc}\n", "keys[0].key_sha256"},
      {"keys: {a: b}\n", "keys"},
      {"aliases: [a, b]\n", "aliases"},
      {"aliases:\n  fast: [a]\n", "aliases.fast"},
      {"aliases:\n  fast: ''\n", "aliases.fast"},
      {"model_groups:\n  g: []\n", "model_groups.g"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, weight: -1}\n", "model_groups.g[0].weight"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, weight: heavy}\n", "model_groups.g[0].weight"},
      {"model_groups:\n  g:\n    - {provider: openai}\n", "model_groups.g[0]"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, wieght: 2}\n", "model_groups.g[0].wieght"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of(c.yaml);
    EXPECT_TRUE(contains(e, "gw.yaml:")) << c.yaml << " → " << e;
    EXPECT_TRUE(contains(e, ": " + c.path + ":")) << c.yaml << " → " << e;
  }
}

TEST(config, error_reports_the_line) {
  const std::string e = error_of("server:\n  host: a\n  port: nope\n");
  EXPECT_TRUE(contains(e, "gw.yaml:3: server.port:")) << e;
}

TEST(config, duplicate_keys_are_errors_naming_the_line) {
  const std::string top = error_of("server:\n  port: 1\nkeys: []\nserver:\n  port: 2\n");
  EXPECT_TRUE(contains(top, "gw.yaml:4: server: duplicate key (first at line 1)")) << top;
  const std::string nested = error_of("server:\n  host: a\n  port: 1\n  port: 2\n");
  EXPECT_TRUE(contains(nested, "gw.yaml:4: server.port: duplicate key")) << nested;
  const std::string group = error_of("model_groups:\n  g:\n    - {provider: openai, model: m, model: n}\n");
  EXPECT_TRUE(contains(group, "gw.yaml:3: model_groups.g[0].model: duplicate key")) << group;
}

TEST(config, reuse_port_is_off_unless_asked) {
  EXPECT_FALSE(load("").server.reuse_port);
  EXPECT_TRUE(load("server: {reuse_port: true}\n").server.reuse_port);
  EXPECT_FALSE(load("server: {reuse_port: false}\n").server.reuse_port);
  const std::string e = error_of("server: {reuse_port: maybe}\n");
  EXPECT_TRUE(contains(e, "server.reuse_port: expected true or false")) << e;
}

TEST(config, describe_shows_bedrock_credentials_as_set_or_none) {
  const std::string none = describe(load("providers:\n  - {name: bedrock}\n"));
  EXPECT_TRUE(contains(none, "(not configured: ")) << none;
  const config cfg = load("", {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                               {"AWS_SECRET_ACCESS_KEY", "aws-secret-value"},
                               {"AWS_SESSION_TOKEN", "aws-token-value"},
                               {"AWS_REGION", "eu-west-3"}});
  const std::string text = describe(cfg);
  EXPECT_TRUE(contains(text, "bedrock https://bedrock-runtime.eu-west-3.amazonaws.com AWS credentials: set")) << text;
  EXPECT_FALSE(contains(text, "key: none")) << text;
  for (std::string_view secret : {"AKIDEXAMPLE", "aws-secret-value", "aws-token-value"}) {
    EXPECT_FALSE(contains(text, secret)) << secret << " leaked into:\n" << text;
  }
}

TEST(config, bedrock_listed_in_the_file_uses_the_aws_credentials) {
  const std::map<std::string, std::string> aws = {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                  {"AWS_SECRET_ACCESS_KEY", "aws-secret-value"}};
  const config cfg = load("providers:\n  - {name: bedrock, models: [amazon.nova-micro-v1:0]}\n", aws);
  const provider_config* p = find_provider(cfg, "bedrock");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->enabled) << p->disabled_reason;
  const config without = load("providers:\n  - {name: bedrock}\n");
  EXPECT_FALSE(find_provider(without, "bedrock")->enabled);
  EXPECT_TRUE(contains(find_provider(without, "bedrock")->disabled_reason, "AWS_ACCESS_KEY_ID"));
}

TEST(config, invalid_yaml_syntax) {
  const std::string e = error_of("server:\n  port: [1, 2\n");
  EXPECT_TRUE(contains(e, "gw.yaml:")) << e;
  EXPECT_TRUE(contains(e, "invalid YAML")) << e;
  EXPECT_FALSE(error_of("- just\n- a list\n").empty());
}

TEST(config, keys_need_exactly_one_form_and_unique_names_and_values) {
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a}\n"), "exactly one"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a, key: x, key_sha256: " + sha256_hex("x") + "}\n"), "exactly one"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {key: x}\n"), "keys[0]"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a, key: ${K:-}}\n"), "keys[0].key"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a, key: x}\n  - {name: a, key: y}\n"), "duplicate key name"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a, key: x}\n  - {name: b, key_sha256: " + sha256_hex("x") + "}\n"),
                       "keys[1]"));
  EXPECT_TRUE(contains(error_of("keys:\n  - {name: a, key_sha256: " + std::string(64, 'g') + "}\n"), "64 hex"));
}

TEST(config, plaintext_key_is_hashed_and_not_kept) {
  const config cfg = load("keys:\n  - {name: ci, key: ${CI_KEY}}\n", {{"CI_KEY", "ci-plaintext-key"}});
  ASSERT_EQ(cfg.keys.size(), 1u);
  EXPECT_EQ(cfg.keys[0].key_sha256, sha256_hex("ci-plaintext-key"));
  EXPECT_FALSE(contains(describe(cfg), "ci-plaintext-key"));
}

TEST(config, alias_cycles_are_rejected) {
  EXPECT_TRUE(contains(error_of("aliases:\n  a: a\n"), "alias cycle: a -> a"));
  const std::string two = error_of("aliases:\n  a: b\n  b: a\n");
  EXPECT_TRUE(contains(two, "alias cycle")) << two;
  EXPECT_TRUE(contains(two, "aliases.a")) << two;
  const std::string three = error_of("aliases:\n  a: b\n  b: c\n  c: b\n");
  EXPECT_TRUE(contains(three, "alias cycle")) << three;
  // A chain without a cycle is fine, up to the hop limit.
  EXPECT_NO_THROW(load("aliases:\n  a: b\n  b: c\n  c: gpt-4o\n"));
  std::string long_chain = "aliases:\n";
  for (int i = 0; i <= k_max_alias_hops; ++i) {
    long_chain += "  a" + std::to_string(i) + ": a" + std::to_string(i + 1) + "\n";
  }
  EXPECT_TRUE(contains(error_of(long_chain), "alias chain too long"));
}

TEST(config, alias_and_group_names_must_differ) {
  const std::string e =
      error_of("aliases:\n  x: gpt-4o\nmodel_groups:\n  x:\n    - {provider: openai, model: gpt-4o}\n");
  EXPECT_TRUE(contains(e, "model_groups.x")) << e;
}

TEST(config, provider_overrides_builtin_by_name) {
  const config cfg = load("providers:\n  - name: openai\n    base_url: http://127.0.0.1:4000/v1/\n    api_key: sk-y\n");
  EXPECT_EQ(cfg.providers.size(), builtin_vendor_names().size());
  const provider_config* p = find_provider(cfg, "openai");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->enabled);
  EXPECT_EQ(p->port, 4000);
  EXPECT_EQ(p->path_prefix, "/v1");
  EXPECT_EQ(p->api_key, "sk-y");
  EXPECT_FALSE(p->models.empty()) << "an override keeps the vendor's known models";
}

TEST(config, provider_override_keeps_environment_key_and_url) {
  const config cfg = load("providers:\n  - name: groq\n    models: [my-model]\n",
                          {{"GROQ_API_KEY", "gsk"}, {"GROQ_BASE_URL", "http://127.0.0.1:5000/openai/v1"}});
  const provider_config* p = find_provider(cfg, "groq");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->enabled);
  EXPECT_EQ(p->api_key, "gsk");
  EXPECT_EQ(p->port, 5000);
  EXPECT_EQ(p->models, std::vector<std::string>{"my-model"});
}

TEST(config, provider_of_builtin_type_under_new_name) {
  const config cfg = load("providers:\n  - {name: groq-eu, type: groq, api_key: k}\n");
  const provider_config* p = find_provider(cfg, "groq-eu");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->enabled);
  EXPECT_EQ(p->host, "api.groq.com");
  EXPECT_FALSE(find_provider(cfg, "groq")->enabled);
}

TEST(config, provider_rules) {
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: x}\n"), "base_url is required"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: x, type: azure, api_key: k}\n"), "base_url is required"));
  EXPECT_TRUE(
      contains(error_of("providers:\n  - {name: x, type: vertex-ai, base_url: http://h}\n"), "providers[0].type"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: a/b, base_url: http://h}\n"), "providers[0].name"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: a, base_url: http://h}\n  - {name: a, base_url: http://h}\n"),
                       "duplicate provider"));
  // openai-compatible servers may need no key; a key-needing vendor without one stays off.
  const config cfg =
      load("providers:\n  - {name: local, base_url: http://127.0.0.1:1/v1}\n  - {name: mistral, api_key: '${MK:-}'}\n");
  EXPECT_TRUE(find_provider(cfg, "local")->enabled);
  EXPECT_FALSE(find_provider(cfg, "mistral")->enabled);
  EXPECT_TRUE(contains(find_provider(cfg, "mistral")->disabled_reason, "providers[1].api_key"));
  const config azure = load(
      "providers:\n  - {name: az, type: azure, base_url: 'https://r.openai.azure.com', "
      "api_key: k, api_version: 2024-06-01}\n");
  EXPECT_EQ(find_provider(azure, "az")->kind, provider_kind::azure);
  EXPECT_EQ(find_provider(azure, "az")->api_version, "2024-06-01");
}

TEST(config, names_that_reach_headers_carry_no_control_characters) {
  // YAML's double-quoted escapes put a CR LF (or a NUL) into the value.
  EXPECT_TRUE(contains(error_of("aliases:\n  \"fast\\r\\nSet-Cookie: a=b\": gpt-4o\n"), "control characters"));
  EXPECT_TRUE(contains(error_of("aliases:\n  fast: \"gpt-4o\\r\\nSet-Cookie: a=b\"\n"), "aliases.fast"));
  EXPECT_TRUE(
      contains(error_of("model_groups:\n  \"g\\0\": [{provider: openai, model: gpt-4o}]\n"), "control characters"));
  const std::string group = error_of("model_groups:\n  g: [{provider: openai, model: \"gpt-4o\\nx\"}]\n");
  EXPECT_TRUE(contains(group, "model_groups.g[0].model")) << group;
  EXPECT_TRUE(contains(group, "control characters")) << group;
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: \"x\\ty\", base_url: http://h}\n"), "providers[0].name"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: x, base_url: http://h, models: [\"m\\r\"]}\n"),
                       "providers[0].models[0]"));
  EXPECT_TRUE(
      contains(error_of("providers:\n  - {name: x, base_url: http://h, api_key: \"k\\n\"}\n"), "providers[0].api_key"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: az, type: azure, base_url: 'https://r', api_key: k, "
                                "api_version: \"1\\r\\nx: y\"}\n"),
                       "providers[0].api_version"));
}

TEST(config, model_ids_in_config_are_usable_as_path_segments) {
  EXPECT_TRUE(contains(error_of("model_groups:\n  g: [{provider: openai, model: '..'}]\n"), "model_groups.g[0].model"));
  EXPECT_TRUE(contains(error_of("aliases:\n  up: 'azure/..'\n"), "aliases.up"));
  EXPECT_TRUE(contains(error_of("providers:\n  - {name: x, base_url: http://h, models: ['%2e%2e']}\n"),
                       "providers[0].models[0]"));
  EXPECT_EQ(error_of("model_groups:\n  g: [{provider: openai, model: 'my.model'}]\n"), "");
}

TEST(config, credentials_from_the_environment_carry_no_control_characters) {
  const std::string e = error_of("", {{"OPENAI_API_KEY", "sk-abc\n"}});
  EXPECT_TRUE(contains(e, "provider openai")) << e;
  EXPECT_TRUE(contains(e, "api_key")) << e;
  EXPECT_FALSE(contains(e, "sk-abc")) << e;
  EXPECT_TRUE(contains(error_of("", {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "s\r\nx"}}),
                       "AWS secret access key"));
  // A vendor nobody enabled is not checked: its value is never sent.
  EXPECT_EQ(error_of("", {{"ANTHROPIC_VERSION", "x\n"}}), "");
}

TEST(config, add_provider_replaces_or_appends) {
  config cfg = load("");
  const std::size_t n = cfg.providers.size();
  add_provider(cfg, make_openai_compatible("mock", "http://127.0.0.1:1234/v1", "", {"mock-gpt"}));
  EXPECT_EQ(cfg.providers.size(), n + 1);
  add_provider(cfg, make_openai_compatible("mock", "http://127.0.0.1:4321/v1", "", {}));
  EXPECT_EQ(cfg.providers.size(), n + 1);
  EXPECT_EQ(find_provider(cfg, "mock")->port, 4321);
}

TEST(config, loads_a_file) {
  char path[] = "/tmp/llmgw_config_test_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path);
    out << "server:\n  port: 1234\n";
  }
  const std::string file = path;
  const config cfg = load_config(&file, fake_env());
  EXPECT_EQ(cfg.server.port, 1234);
  EXPECT_EQ(cfg.source, file);
  {
    std::ofstream out(path);
    out << "server:\n  port: x\n";
  }
  try {
    load_config(&file, fake_env());
    ADD_FAILURE() << "expected config_error";
  } catch (const config_error& e) {
    EXPECT_TRUE(contains(e.what(), file + ":2: server.port")) << e.what();
  }
  std::remove(path);
  const std::string missing = "/nonexistent/llmgw.yaml";
  EXPECT_THROW(load_config(&missing, fake_env()), config_error);
}

TEST(config, upstream_total_timeout_and_response_cap) {
  const config cfg = load("upstream: {total_timeout_ms: 1500, max_response_bytes: 5000000}\n");
  EXPECT_EQ(cfg.upstream.total_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(cfg.upstream.max_response_bytes, 5000000u);
  EXPECT_TRUE(contains(error_of("upstream: {max_response_bytes: 10}\n"), "upstream.max_response_bytes"));
  EXPECT_TRUE(contains(error_of("upstream: {total_timeout_ms: 0}\n"), "upstream.total_timeout_ms"));
}

TEST(config, access_log_path) {
  EXPECT_EQ(load("").access_log.path, "");  // stdout
  EXPECT_EQ(load("access_log: {path: /var/log/llmgw/access.log}\n").access_log.path, "/var/log/llmgw/access.log");
  EXPECT_EQ(load("access_log:\n  path: ${LOG_DIR}/a.log\n", {{"LOG_DIR", "/tmp"}}).access_log.path, "/tmp/a.log");
  EXPECT_TRUE(contains(error_of("access_log: {path: ''}\n"), "gw.yaml:1: access_log.path: must not be empty"));
  EXPECT_TRUE(contains(error_of("access_log: {file: x.log}\n"), "access_log.file: unknown field"));
  EXPECT_TRUE(contains(error_of("access_log: x.log\n"), "access_log: expected a mapping"));
}

TEST(config, metrics_require_key) {
  EXPECT_FALSE(load("").metrics.require_key);  // Prometheus scrapes without credentials
  EXPECT_TRUE(load("metrics: {require_key: true}\n", {{"LLMGW_MASTER_KEY", "sk-master"}}).metrics.require_key);
  EXPECT_FALSE(load("metrics:\n  require_key: false\n").metrics.require_key);
  EXPECT_TRUE(contains(error_of("metrics:\n  require_key: yes-please\n", {{"LLMGW_MASTER_KEY", "m"}}),
                       "gw.yaml:2: metrics.require_key: expected true or false"));
  EXPECT_TRUE(contains(error_of("metrics: {require_keys: true}\n"), "gw.yaml:1: metrics.require_keys: unknown field"));
  EXPECT_TRUE(contains(error_of("metrics: true\n"), "metrics: expected a mapping"));
  EXPECT_TRUE(contains(error_of("metrics: {require_key: true}\n"), "metrics.require_key: true needs LLMGW_MASTER_KEY"));
}

}  // namespace
}  // namespace llmgw

namespace llmgw {
namespace {

TEST(config_limits, keys_model_limits_deployments_and_the_limits_section_load) {
  const config c = load(R"(
limits: {on_store_error: fail_closed, reserve_output_tokens: 256}
keys:
  - name: team-a
    key: k-a
    limits: {rpm: 60, tpm: 100000, max_parallel: 8}
    model_limits: {gpt-4o: {rpm: 10, tpm: 20000}}
    reserve_output_tokens: 64
model_groups:
  main:
    - {provider: openai, model: gpt-4o-mini, weight: 3, limits: {rpm: 500, tpm: 200000}}
)",
                        {{"OPENAI_API_KEY", "sk-x"}});
  EXPECT_EQ(c.limits.on_store_error, limits_config::store_error_policy::fail_closed);
  EXPECT_EQ(c.limits.reserve_output_tokens, 256u);
  ASSERT_EQ(c.keys.size(), 1u);
  const key_limits& k = c.keys[0].limits;
  EXPECT_EQ(k.key.rpm, 60u);
  EXPECT_EQ(k.key.tpm, 100000u);
  EXPECT_EQ(k.key.max_parallel, 8u);
  EXPECT_EQ(k.per_model.at("gpt-4o").rpm, 10u);
  EXPECT_EQ(k.per_model.at("gpt-4o").tpm, 20000u);
  EXPECT_EQ(k.reserve_output_tokens, 64u);
  EXPECT_EQ(c.model_groups.at("main")[0].limits.rpm, 500u);
  EXPECT_FALSE(c.model_groups.at("main")[0].limits.max_parallel);
}

TEST(config_limits, bad_limits_name_the_file_line_and_field) {
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    limits: {rpm: 0}\n"),
            "gw.yaml:4: keys[0].limits.rpm: expected an integer from 1 to 1000000000000, got \"0\"");
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    limits: {rpn: 5}\n"),
            "gw.yaml:4: keys[0].limits.rpn: unknown field (expected one of: rpm, tpm, max_parallel)");
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    model_limits: {m: {max_parallel: 2}}\n"),
            "gw.yaml:4: keys[0].model_limits.m.max_parallel: unknown field (expected one of: rpm, tpm)");
  EXPECT_EQ(error_of("limits: {on_store_error: maybe}\n"),
            "gw.yaml:1: limits.on_store_error: expected fail_open or fail_closed, got \"maybe\"");
  EXPECT_EQ(error_of("limits: {burst: 3}\n"),
            "gw.yaml:1: limits.burst: unknown field (expected one of: on_store_error, reserve_output_tokens)");
}

TEST(config_limits, budgets_of_keys_and_teams_load_and_a_key_takes_its_teams) {
  const config c = load(R"(
teams:
  - {name: team-a, budgets: [{period: month, usd: 500}]}
keys:
  - {name: ci, key: k-ci, team: team-a, budgets: [{period: day, usd: 5.5}]}
  - {name: solo, key: k-solo, team: nobody}
)",
                        {});
  ASSERT_EQ(c.keys.size(), 2u);
  const key_limits& ci = c.keys[0].limits;
  ASSERT_EQ(ci.budgets.size(), 1u);
  EXPECT_EQ(ci.budgets[0].per, budget::period::day);
  EXPECT_EQ(ci.budgets[0].usd, 5.5);
  EXPECT_EQ(ci.team, "team-a");
  ASSERT_EQ(ci.team_budgets.size(), 1u);
  EXPECT_EQ(ci.team_budgets[0].per, budget::period::month);
  EXPECT_EQ(ci.team_budgets[0].usd, 500);
  EXPECT_TRUE(ci.any());
  // A team no teams: entry names is a label, with no budget.
  EXPECT_EQ(c.keys[1].limits.team, "nobody");
  EXPECT_TRUE(c.keys[1].limits.team_budgets.empty());
  EXPECT_FALSE(c.keys[1].limits.any());
}

TEST(config_limits, bad_budgets_name_the_file_line_and_field) {
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    budgets: [{period: week, usd: 5}]\n"),
            "gw.yaml:4: keys[0].budgets[0].period: expected day or month, got \"week\"");
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    budgets: [{period: day, usd: -1}]\n"),
            "gw.yaml:4: keys[0].budgets[0].usd: expected an amount of US dollars above 0, got \"-1\"");
  EXPECT_EQ(error_of("keys:\n  - name: a\n    key: k\n    budgets: [{period: day, usd: 1}, {period: day, usd: 2}]\n"),
            "gw.yaml:4: keys[0].budgets[1]: two budgets for the same period");
  EXPECT_EQ(error_of("teams:\n  - {name: t}\n  - {name: t}\n"), "gw.yaml:3: teams[1].name: duplicate team \"t\"");
  EXPECT_EQ(error_of("teams:\n  - {name: t, budget: 5}\n"),
            "gw.yaml:2: teams[0].budget: unknown field (expected one of: name, budgets)");
}

TEST(config_groups, a_group_written_as_an_object_has_a_policy_and_a_list_keeps_none) {
  const config c = load(R"(
model_groups:
  main:
    strategy: latency
    max_attempts: 4
    retry_budget_ms: 20000
    retry_on: [connect, 429, 529]
    cooldown: {failures: 5, window_ms: 1000, duration_ms: 2000}
    timeouts: {connect_ms: 100, first_byte_ms: 200, total_ms: 300, idle_ms: 400}
    hedge_after_ms: 800
    hedge_max_ratio: 0.25
    deployments:
      - {provider: openai, model: gpt-4o-mini, weight: 3}
  by-p95:
    hedge: p95
    deployments:
      - {provider: openai, model: gpt-4o-mini}
  plain:
    - {provider: openai, model: gpt-4o}
)",
                        {{"OPENAI_API_KEY", "sk-x"}});
  const group_policy& g = c.group_policies.at("main");
  EXPECT_EQ(g.strategy, balance_strategy::latency);
  EXPECT_EQ(g.max_attempts, 4u);
  EXPECT_EQ(g.retry_budget, std::chrono::milliseconds(20000));
  EXPECT_EQ(g.retry_on, (std::vector<int>{429, 529}));
  EXPECT_TRUE(g.retry_on_connect);
  EXPECT_EQ(g.cooldown.failures, 5u);
  EXPECT_EQ(g.cooldown.duration, std::chrono::milliseconds(2000));
  EXPECT_EQ(g.first_byte_timeout, std::chrono::milliseconds(200));
  EXPECT_EQ(g.idle_timeout, std::chrono::milliseconds(400));
  EXPECT_EQ(g.hedge_after, std::chrono::milliseconds(800));
  EXPECT_DOUBLE_EQ(g.hedge_max_ratio, 0.25);
  EXPECT_TRUE(g.hedges());
  EXPECT_TRUE(c.group_policies.at("by-p95").hedge_p95);
  EXPECT_DOUBLE_EQ(c.group_policies.at("by-p95").hedge_max_ratio, 0.1);
  EXPECT_EQ(c.model_groups.at("main").size(), 1u);
  EXPECT_EQ(c.model_groups.at("main")[0].weight, 3u);
  EXPECT_FALSE(c.group_policies.contains("plain"));
}

TEST(config_groups, bad_group_objects_name_the_file_line_and_field) {
  EXPECT_EQ(error_of("model_groups:\n  g:\n    strategy: fastest\n    deployments: [{provider: openai, model: m}]\n"),
            "gw.yaml:3: model_groups.g.strategy: expected weighted, least_busy, latency or cost, got \"fastest\"");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    retry_on: [401]\n    deployments: [{provider: openai, model: m}]\n"),
            "gw.yaml:3: model_groups.g.retry_on[0]: a 401 is never retried (the same request gets the same answer)");
  EXPECT_EQ(
      error_of("model_groups:\n  g:\n    hedge_ms: 5\n    deployments: [{provider: openai, model: m}]\n"),
      "gw.yaml:3: model_groups.g.hedge_ms: unknown field (expected one of: strategy, latency_target_ms, max_attempts, "
      "retry_budget_ms, retry_on, cooldown, timeouts, fallbacks, context_window_fallbacks, "
      "content_policy_fallbacks, hedge_after_ms, hedge, hedge_max_ratio, deployments)");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    hedge: p99\n    deployments: [{provider: openai, model: m}]\n"),
            "gw.yaml:3: model_groups.g.hedge: expected p95 (the deployment's measured p95 time to first byte)");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    hedge_after_ms: 800\n    hedge: p95\n"
                     "    deployments: [{provider: openai, model: m}]\n"),
            "gw.yaml:4: model_groups.g.hedge: give either hedge_after_ms or hedge, not both");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    hedge_after_ms: 800\n    hedge_max_ratio: 1.5\n"
                     "    deployments: [{provider: openai, model: m}]\n"),
            "gw.yaml:4: model_groups.g.hedge_max_ratio: expected a share above 0 and at most 1, got \"1.5\"");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    strategy: latency\n"),
            "gw.yaml:2: model_groups.g: a model group needs deployments");
}

TEST(config_groups, strategy_cost_takes_an_optional_latency_target) {
  const config c = load(R"(
model_groups:
  cheap:
    strategy: cost
    latency_target_ms: 1500
    deployments: [{provider: openai, model: gpt-4o-mini}]
  cheapest:
    strategy: cost
    deployments: [{provider: openai, model: gpt-4o-mini}]
)",
                        {{"OPENAI_API_KEY", "sk-x"}});
  EXPECT_EQ(c.group_policies.at("cheap").strategy, balance_strategy::cost);
  EXPECT_EQ(c.group_policies.at("cheap").latency_target, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.group_policies.at("cheapest").latency_target, std::nullopt) << "absent: no latency condition";
  const auto with_target = [](std::string_view strategy, std::string_view target) {
    return error_of("model_groups:\n  g:\n    strategy: " + std::string(strategy) + "\n    latency_target_ms: " +
                    std::string(target) + "\n    deployments: [{provider: openai, model: m}]\n");
  };
  EXPECT_EQ(with_target("cost", "0"),
            "gw.yaml:4: model_groups.g.latency_target_ms: expected an integer from 1 to 86400000, got \"0\"");
  EXPECT_EQ(with_target("cost", "1.5s"),
            "gw.yaml:4: model_groups.g.latency_target_ms: expected an integer from 1 to 86400000, got \"1.5s\"");
  EXPECT_EQ(with_target("cost", "[1500]"), "gw.yaml:4: model_groups.g.latency_target_ms: expected an integer");
  EXPECT_EQ(with_target("latency", "1500"),
            "gw.yaml:4: model_groups.g.latency_target_ms: applies only to strategy: cost");
  EXPECT_EQ(error_of("model_groups:\n  g:\n    latency_target_ms: 1500\n    strategy: cost\n"
                     "    deployments: [{provider: openai, model: m}]\n"),
            "")
      << "the order of the fields does not matter";
}

TEST(config_limits, redis_url_and_cluster_come_from_the_environment) {
  const config c = load("", {{"REDIS_URL", "redis://h:1"}, {"REDIS_CLUSTER", "1"}});
  EXPECT_EQ(c.redis_url, "redis://h:1");
  EXPECT_TRUE(c.redis_cluster);
  EXPECT_FALSE(load("", {{"REDIS_URL", "redis://h:1"}}).redis_cluster);
  EXPECT_EQ(error_of("", {{"REDIS_CLUSTER", "yes"}}),
            "environment: REDIS_CLUSTER: expected 1 or 0 (true or false), got \"yes\"");
}

}  // namespace
}  // namespace llmgw

namespace llmgw {
namespace {

TEST(config_usage, defaults_the_section_key_teams_and_database_url) {
  const config d = load("");
  EXPECT_TRUE(d.usage.enabled);
  EXPECT_EQ(d.usage.sqlite_path, "usage.db");
  EXPECT_EQ(d.usage.spool_dir, ".");
  EXPECT_EQ(d.usage.database_url, "");

  const config c = load(R"(
usage: {enabled: false, sqlite_path: /var/lib/llmgw/usage.db, spool_dir: /var/lib/llmgw}
keys:
  - {name: ci, key: k-1, team: team-a}
  - {name: other, key: k-2}
)",
                        {{"DATABASE_URL", "postgresql://u:secret@db:5432/llmgw"}});
  EXPECT_FALSE(c.usage.enabled);
  EXPECT_EQ(c.usage.sqlite_path, "/var/lib/llmgw/usage.db");
  EXPECT_EQ(c.usage.spool_dir, "/var/lib/llmgw");
  EXPECT_EQ(c.usage.database_url, "postgresql://u:secret@db:5432/llmgw");
  ASSERT_EQ(c.keys.size(), 2u);
  EXPECT_EQ(c.keys[0].team, "team-a");
  EXPECT_EQ(c.keys[1].team, "");
  EXPECT_EQ(load("", {{"DATABASE_URL", "postgres://h/db"}}).usage.database_url, "postgres://h/db");
}

TEST(config_usage, bad_fields_name_the_file_line_and_field) {
  EXPECT_EQ(error_of("usage: {sqlite: x.db}\n"),
            "gw.yaml:1: usage.sqlite: unknown field (expected one of: enabled, sqlite_path, spool_dir)");
  EXPECT_EQ(error_of("usage:\n  enabled: maybe\n").rfind("gw.yaml:2: usage.enabled:", 0), 0u);
  EXPECT_EQ(error_of("usage: {sqlite_path: \"\"}\n").rfind("gw.yaml:1: usage.sqlite_path:", 0), 0u);
  EXPECT_EQ(error_of("keys:\n  - {name: a, key: k, team: \"\"}\n").rfind("gw.yaml:2: keys[0].team:", 0), 0u);
  EXPECT_EQ(error_of("keys:\n  - {name: a, key: k, teams: x}\n").rfind("gw.yaml:2: keys[0].teams: unknown field", 0),
            0u);
  // The URL may hold a password: the message never quotes it.
  const std::string e = error_of("", {{"DATABASE_URL", "mysql://u:hunter2@h/db"}});
  EXPECT_EQ(e, "environment: DATABASE_URL: expected a postgres:// or postgresql:// URL");
  EXPECT_EQ(e.find("hunter2"), std::string::npos);
}

TEST(config, prices_file_and_per_model_and_per_deployment_prices) {
  const config cfg = load(R"(
prices_file: ./model_prices_and_context_window.json
prices:
  my-model: {input_per_mtok: 1.0, output_per_mtok: 2}
  cached-model: {input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75}
model_groups:
  g:
    - {provider: openai, model: gpt-4o, price: {input_per_mtok: 2, output_per_mtok: 8.5}}
    - {provider: openai, model: gpt-4o-mini}
)");
  EXPECT_EQ(cfg.prices_file, "./model_prices_and_context_window.json");
  ASSERT_EQ(cfg.prices.size(), 2u);
  EXPECT_EQ(cfg.prices.at("my-model"), (price_config{1.0, 2.0, std::nullopt, std::nullopt}));
  EXPECT_EQ(cfg.prices.at("cached-model"), (price_config{3, 15, 0.3, 3.75}));
  const auto& g = cfg.model_groups.at("g");
  ASSERT_TRUE(g[0].price);
  EXPECT_EQ(*g[0].price, (price_config{2, 8.5, std::nullopt, std::nullopt}));
  EXPECT_FALSE(g[1].price);
}

TEST(config, bad_prices_name_the_file_line_and_field) {
  struct bad {
    std::string_view yaml;
    std::string_view where;
  };
  const bad cases[] = {
      {"prices_file: [a]\n", "gw.yaml:1: prices_file:"},
      {"prices_file: ''\n", "gw.yaml:1: prices_file:"},
      {"prices: [a]\n", "gw.yaml:1: prices:"},
      {"prices:\n  m: {input_per_mtok: 1}\n", "gw.yaml:2: prices.m: output_per_mtok is required"},
      {"prices:\n  m: {output_per_mtok: 1}\n", "gw.yaml:2: prices.m: input_per_mtok is required"},
      {"prices:\n  m: {input_per_mtok: cheap, output_per_mtok: 1}\n", "gw.yaml:2: prices.m.input_per_mtok:"},
      {"prices:\n  m: {input_per_mtok: -1, output_per_mtok: 1}\n", "gw.yaml:2: prices.m.input_per_mtok:"},
      {"prices:\n  m: {input_per_mtok: 1, output_per_mtok: nan}\n", "gw.yaml:2: prices.m.output_per_mtok:"},
      {"prices:\n  m:\n    input_per_mtok: 1\n    output_per_mtok: 1\n    cached_per_mtok: 1\n",
       "gw.yaml:5: prices.m.cached_per_mtok: unknown field"},
      {"prices:\n  m: {input_per_mtok: 1, output_per_mtok: 1, cache_write_per_mtok: [1]}\n",
       "gw.yaml:2: prices.m.cache_write_per_mtok:"},
      {"prices:\n  m: 3\n", "gw.yaml:2: prices.m: expected a mapping"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, price: {input_per_mtok: 1}}\n",
       "gw.yaml:3: model_groups.g[0].price: output_per_mtok is required"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, price: {input_per_mtok: 1, output_per_mtok: x}}\n",
       "gw.yaml:3: model_groups.g[0].price.output_per_mtok:"},
      {"model_groups:\n  g:\n    - {provider: openai, model: m, prices: {input_per_mtok: 1}}\n",
       "gw.yaml:3: model_groups.g[0].prices: unknown field"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of(c.yaml);
    EXPECT_TRUE(contains(e, c.where)) << c.yaml << " → " << e;
  }
}

TEST(config, providers_remember_their_vendor_type) {
  const config cfg =
      load("providers:\n  - {name: fast, type: groq, api_key: k}\n  - {name: own, base_url: http://h/v1}\n");
  EXPECT_EQ(find_provider(cfg, "fast")->type, "groq");
  EXPECT_EQ(find_provider(cfg, "own")->type, "");
  EXPECT_EQ(find_provider(cfg, "openai")->type, "openai");
}

}  // namespace
}  // namespace llmgw
