#include "cache/cache_key.hpp"

#include <gtest/gtest.h>

namespace llmgw::cache {
namespace {

TEST(cache_key, namespace_and_model_are_part_of_the_key) {
  const std::string c = R"({"messages":[{"content":[{"text":'5:hello}],"role":'4:user}]})";
  EXPECT_NE(make_key("key:a", "openai/gpt-4o-mini", c), make_key("key:b", "openai/gpt-4o-mini", c));
  EXPECT_NE(make_key("key:a", "openai/gpt-4o-mini", c), make_key("key:a", "openai/gpt-4o", c));
  // Lengths are hashed: moving bytes from one part to the next is another key.
  EXPECT_NE(make_key("ab", "c", c), make_key("a", "bc", c));
  EXPECT_EQ(make_key("key:a", "m", c), make_key("key:a", "m", c));
  EXPECT_EQ(make_key("key:a", "m", c).hex().size(), 32u);
  // A space given in two parts is the string they spell: entries stored
  // before (in Redis) keep their keys.
  EXPECT_EQ(make_key(key_space{"key:", "a"}, "m", c), make_key("key:a", "m", c));
  EXPECT_NE(make_key(key_space{"key:", "a"}, "m", c), make_key("key:", "am", c));
}

// Keys are stored in Redis, shared by instances of several versions: the
// same question must keep its key from one version to the next.
TEST(cache_key, keys_do_not_change_between_versions) {
  EXPECT_EQ(make_key(key_space{"key:", "k1"}, "openai/gpt-4o-mini",
                     R"({"messages":[{"content":[{"text":'5:hello}],"role":'4:user}]})")
                .hex(),
            "79045caa23c6de1af0e1585cde947307");
  EXPECT_EQ(make_key(key_space{"shared:", "team"}, "m", std::string(5000, 'x')).hex(),
            "739e3f992e54a25ffa2e02729ef64a71");
  EXPECT_EQ(make_key(key_space{"key:", ""}, "", "").hex(), "e961962e16e115090ff2751e221e6b6f");
}

}  // namespace
}  // namespace llmgw::cache
