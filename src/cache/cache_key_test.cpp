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

}  // namespace
}  // namespace llmgw::cache
