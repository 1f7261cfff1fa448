#include "config/yaml_duplicates.hpp"

#include <gtest/gtest.h>

namespace llmgw {
namespace {

TEST(yaml_duplicates, none_in_distinct_keys) {
  EXPECT_FALSE(find_duplicate_key("server:\n  host: a\n  port: 1\nkeys:\n  - {name: a}\n  - {name: a}\n"));
  EXPECT_FALSE(find_duplicate_key(""));
  EXPECT_FALSE(find_duplicate_key("# only a comment\n"));
  // The same key in two different mappings is fine.
  EXPECT_FALSE(find_duplicate_key("a: {x: 1}\nb: {x: 2}\n"));
}

TEST(yaml_duplicates, top_level_key_twice_names_both_lines) {
  const auto d = find_duplicate_key("server:\n  port: 1\nkeys: []\nserver:\n  port: 2\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, "server");
  EXPECT_EQ(d->line, 4);
  EXPECT_EQ(d->first_line, 1);
}

TEST(yaml_duplicates, nested_block_and_flow_mappings) {
  const auto block = find_duplicate_key("server:\n  host: a\n  port: 1\n  port: 2\n");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->path, "server.port");
  EXPECT_EQ(block->line, 4);
  EXPECT_EQ(block->first_line, 3);

  const auto flow = find_duplicate_key(
      "model_groups:\n  g:\n    - {provider: a, model: m}\n"
      "    - {provider: a, model: m, model: n}\n");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->path, "model_groups.g[1].model");
  EXPECT_EQ(flow->line, 4);
}

TEST(yaml_duplicates, values_and_aliases_do_not_count_as_keys) {
  // Equal values, a null value and an alias value leave the key/value order intact.
  EXPECT_FALSE(find_duplicate_key("a: x\nb: x\nc:\nd: &r [1]\ne: *r\nf: x\n"));
  const auto d = find_duplicate_key("a:\nb: &r {k: 1}\nc: *r\nb: 2\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, "b");
  EXPECT_EQ(d->line, 4);
}

}  // namespace
}  // namespace llmgw
