// The cache: section of the configuration (config/cache_config.hpp).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/test_env.hpp"

namespace llmgw {
namespace {

using namespace std::chrono_literals;

config load(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return load_test_config(yaml, std::move(env));
}

std::string error_of(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return config_error_of(yaml, std::move(env));
}

TEST(cache_config, no_section_means_no_cache) {
  EXPECT_EQ(load("server: {port: 1}\n").cache.backend, cache_backend::off);
  EXPECT_EQ(load("", {{"REDIS_URL", "redis://127.0.0.1"}}).cache.backend, cache_backend::off);
}

TEST(cache_config, the_issue_example_loads) {
  const config c = load(R"(
keys: [{name: team-a, key: a}, {name: team-b, key: b}]
cache:
  backend: memory
  ttl: 300
  max_bytes: 268435456
  store_truncated: true
  groups: { main: { ttl: 60 }, batch: { enabled: false } }
  namespaces: { shared: [team-a, team-b] }
)");
  EXPECT_EQ(c.cache.backend, cache_backend::memory);
  EXPECT_EQ(c.cache.ttl, 300s);
  EXPECT_EQ(c.cache.max_bytes, 268435456u);
  EXPECT_TRUE(c.cache.store_truncated);
  EXPECT_EQ(c.cache.groups.at("main").ttl, 60s);
  EXPECT_TRUE(c.cache.groups.at("main").enabled);
  EXPECT_FALSE(c.cache.groups.at("batch").enabled);
  EXPECT_FALSE(c.cache.groups.at("batch").ttl);
  EXPECT_EQ(c.cache.namespaces.at("team-b"), "shared");
  EXPECT_FALSE(c.cache.redis_requested);
}

TEST(cache_config, backend_defaults_to_redis_with_redis_url) {
  const config plain = load("cache: {ttl: 5}\n");
  EXPECT_EQ(plain.cache.backend, cache_backend::memory);
  EXPECT_FALSE(plain.cache.redis_requested);
  EXPECT_EQ(plain.cache.ttl, 5s);  // not the default (300)
  const config redis = load("cache: {ttl: 5}\n", {{"REDIS_URL", "redis://127.0.0.1:6379"}});
  EXPECT_EQ(redis.cache.backend, cache_backend::memory);
  EXPECT_TRUE(redis.cache.redis_requested);
  EXPECT_NE(describe(redis).find("response cache: redis (shared by every instance)"), std::string::npos);
  EXPECT_EQ(error_of("cache: {backend: redis}\n"),
            "gw.yaml:1: cache.backend: redis needs REDIS_URL (redis://host:port) in the environment");
  EXPECT_EQ(load("cache: {backend: off}\n", {{"REDIS_URL", "redis://x"}}).cache.backend, cache_backend::off);
}

TEST(cache_config, bad_fields_name_file_line_and_field) {
  const struct {
    std::string_view yaml;
    std::string_view expected;
  } cases[] = {
      {"cache:\n  backend: disk\n", "gw.yaml:2: cache.backend: expected memory, redis or off"},
      {"cache:\n  ttl: soon\n", "gw.yaml:2: cache.ttl: expected an integer"},
      {"cache:\n  ttl: 0\n", "gw.yaml:2: cache.ttl: expected an integer from 1"},
      {"cache:\n  max_bytes: 10\n", "gw.yaml:2: cache.max_bytes: expected an integer"},
      {"cache:\n  tll: 5\n", "gw.yaml:2: cache.tll: unknown field"},
      {"cache:\n  groups:\n    main: {ttl: 5, on: true}\n", "gw.yaml:3: cache.groups.main.on: unknown field"},
      {"cache:\n  groups:\n    main: {enabled: maybe}\n",
       "gw.yaml:3: cache.groups.main.enabled: expected true or false"},
      {"cache:\n  groups: [main]\n", "gw.yaml:2: cache.groups: expected a mapping"},
      {"cache:\n  namespaces: {s: [nobody]}\n", "cache.namespaces.s[0]: no key is named \"nobody\""},
      {"keys: [{name: a, key: k}]\ncache:\n  namespaces: {s: [a], t: [a]}\n", "key \"a\" is in two namespaces"},
      {"cache: [1]\n", "gw.yaml:1: cache: expected a mapping"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of(c.yaml);
    EXPECT_NE(e.find(c.expected), std::string::npos) << c.yaml << " → " << e;
  }
}

}  // namespace
}  // namespace llmgw
