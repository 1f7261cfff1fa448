#include "cache/canonical_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::cache {
namespace {

std::string form(std::string_view json) {
  reusable_parser parser(1024);
  const parsed_json parsed(parser, json);
  EXPECT_TRUE(parsed.ok()) << json;
  std::string out;
  if (parsed.ok()) append_canonical_json(out, parsed.root());
  return out;
}

TEST(canonical_json, keys_are_sorted_at_every_depth) {
  EXPECT_EQ(form(R"({"b":1,"a":{"d":[{"f":1,"e":2}],"c":null}})"), R"({"a":{"c":null,"d":[{"e":2,"f":1}]},"b":1})");
  EXPECT_EQ(form(R"({"b":1,"a":2})"), form(R"({ "a" : 2 , "b" : 1 })"));
}

TEST(canonical_json, a_number_has_one_form_and_a_text_its_length) {
  EXPECT_EQ(form("[1, 1.0, 1e0, -0.5, 18446744073709551615, true, false]"),
            "[1,1,1,-0.5,18446744073709551615,true,false]");
  EXPECT_EQ(form(R"(["h\u00e9", ""])"), "['3:h\xc3\xa9,'0:]");
  // A text that spells the form's own syntax stays one text.
  EXPECT_NE(form(R"(["a',1:b"])"), form(R"(["a","b"])"));
}

TEST(canonical_json, bad_json_is_not_parsed) {
  reusable_parser parser(1024);
  EXPECT_FALSE(parsed_json(parser, "{\"a\":").ok());
  EXPECT_FALSE(parsed_json(parser, "").ok());
}

// A worker's parser keeps buffers for texts up to its bound; one grown by a
// larger text is given back when that text is done with, not kept for the
// thread's life (a parser holds about 14 bytes per byte of text).
TEST(canonical_json, buffers_grown_past_the_bound_are_given_back) {
  reusable_parser parser(4096);
  { const parsed_json small(parser, R"({"a":1})"); }
  const std::size_t kept = parser.capacity();
  EXPECT_LE(kept, 4096u);
  const std::string large = "[\"" + std::string(64 * 1024, 'x') + "\"]";
  {
    const parsed_json big(parser, large);
    ASSERT_TRUE(big.ok());
    EXPECT_GE(parser.capacity(), large.size());
    std::string out;
    append_canonical_json(out, big.root());  // the document is still there
    EXPECT_EQ(out, "['65536:" + std::string(64 * 1024, 'x') + "]");
  }
  EXPECT_LE(parser.capacity(), 4096u);
  { const parsed_json again(parser, R"({"a":1})"); }
  EXPECT_LE(parser.capacity(), 4096u);
}

}  // namespace
}  // namespace llmgw::cache
