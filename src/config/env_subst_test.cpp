#include "config/env_subst.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <cstdlib>
#include <map>

namespace llmgw {
namespace {

TEST(env_subst, text_without_references_is_unchanged) {
  const auto env = fake_env({});
  EXPECT_EQ(substitute_env("", env), "");
  EXPECT_EQ(substitute_env("plain text", env), "plain text");
  EXPECT_EQ(substitute_env("costs $5 or $", env), "costs $5 or $");
  EXPECT_EQ(substitute_env("{A} $A", env), "{A} $A");
}

TEST(env_subst, replaces_every_reference) {
  const auto env = fake_env({{"HOST", "example.com"}, {"PORT", "8443"}, {"EMPTY", ""}});
  EXPECT_EQ(substitute_env("${HOST}", env), "example.com");
  EXPECT_EQ(substitute_env("https://${HOST}:${PORT}/v1", env), "https://example.com:8443/v1");
  EXPECT_EQ(substitute_env("${HOST}${PORT}", env), "example.com8443");
  EXPECT_EQ(substitute_env("[${EMPTY}]", env), "[]");
}

TEST(env_subst, missing_variable_is_an_error_naming_it) {
  const auto env = fake_env({});
  try {
    substitute_env("key ${MISSING_KEY} here", env);
    FAIL() << "expected env_subst_error";
  } catch (const env_subst_error& e) {
    EXPECT_NE(std::string(e.what()).find("MISSING_KEY"), std::string::npos) << e.what();
  }
}

TEST(env_subst, default_applies_when_unset_or_empty) {
  const auto env = fake_env({{"SET", "value"}, {"EMPTY", ""}});
  EXPECT_EQ(substitute_env("${UNSET:-fallback}", env), "fallback");
  EXPECT_EQ(substitute_env("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(substitute_env("${SET:-fallback}", env), "value");
  EXPECT_EQ(substitute_env("${UNSET:-}", env), "");
  // The default runs to the closing brace and may hold ':' and '-'.
  EXPECT_EQ(substitute_env("${URL:-http://127.0.0.1:8080/v1-x}", env), "http://127.0.0.1:8080/v1-x");
}

TEST(env_subst, escape_gives_literal_reference) {
  const auto env = fake_env({{"A", "x"}});
  EXPECT_EQ(substitute_env("$${A}", env), "${A}");
  EXPECT_EQ(substitute_env("$${A} ${A}", env), "${A} x");
}

TEST(env_subst, substituted_values_are_not_scanned_again) {
  const auto env = fake_env({{"A", "${B}"}, {"B", "no"}});
  EXPECT_EQ(substitute_env("${A}", env), "${B}");
}

TEST(env_subst, malformed_references_are_errors) {
  const auto env = fake_env({{"A", "x"}});
  EXPECT_THROW(substitute_env("${A", env), env_subst_error);
  EXPECT_THROW(substitute_env("${}", env), env_subst_error);
  EXPECT_THROW(substitute_env("${1A}", env), env_subst_error);
  EXPECT_THROW(substitute_env("${A B}", env), env_subst_error);
  EXPECT_THROW(substitute_env("${:-x}", env), env_subst_error);
}

TEST(env_subst, unterminated_reference_does_not_echo_the_text) {
  try {
    substitute_env("sk-secret-value${", fake_env({}));
    FAIL() << "expected env_subst_error";
  } catch (const env_subst_error& e) {
    EXPECT_EQ(std::string(e.what()).find("sk-secret-value"), std::string::npos) << e.what();
  }
}

TEST(env_subst, process_env_reads_the_environment) {
  ::setenv("LLMGW_ENV_SUBST_TEST", "from-process", 1);
  ::unsetenv("LLMGW_ENV_SUBST_TEST_UNSET");
  const env_lookup env = process_env();
  EXPECT_EQ(env("LLMGW_ENV_SUBST_TEST"), "from-process");
  EXPECT_EQ(env("LLMGW_ENV_SUBST_TEST_UNSET"), std::nullopt);
  EXPECT_EQ(substitute_env("${LLMGW_ENV_SUBST_TEST}", env), "from-process");
  ::unsetenv("LLMGW_ENV_SUBST_TEST");
}

}  // namespace
}  // namespace llmgw
