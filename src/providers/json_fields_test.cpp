#include "providers/json_fields.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llmgw::providers {
namespace {

TEST(JsonFields, CountsReadLenientlyAndNeverOverflow) {
  const auto o = boost::json::parse(
                     R"({"a":7,"b":7.9,"c":"7","d":1e300,"e":-1e300,"f":18446744073709551615,"s":"x","o":{},"l":[]})")
                     .as_object();
  EXPECT_EQ(count_of(o, "a"), 7);
  EXPECT_EQ(count_of(o, "b"), 7);
  EXPECT_EQ(count_of(o, "c"), 0);
  EXPECT_EQ(count_of(o, "d"), 0);  // found by the fuzzer: casting it was undefined behaviour
  EXPECT_EQ(count_of(o, "e"), 0);
  EXPECT_EQ(count_of(o, "f"), 0);
  EXPECT_EQ(count_of(o, "missing"), 0);
  // Found by the response decoder fuzzer: a vendor's negative count reached the usage record.
  const auto n =
      boost::json::parse(R"({"neg":-10,"negd":-3.5,"big":1125899906842625,"edge":1125899906842624})").as_object();
  EXPECT_EQ(count_of(n, "neg"), 0);
  EXPECT_EQ(count_of(n, "negd"), 0);
  EXPECT_EQ(count_of(n, "big"), 0);
  EXPECT_EQ(count_of(n, "edge"), 1125899906842624);
  EXPECT_EQ(string_in(o, "s"), "x");
  EXPECT_EQ(string_in(o, "a"), "");
  EXPECT_NE(object_in(o, "o"), nullptr);
  EXPECT_EQ(object_in(o, "l"), nullptr);
  EXPECT_NE(array_in(o, "l"), nullptr);
}

}  // namespace
}  // namespace llmgw::providers
