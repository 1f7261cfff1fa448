#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw {
namespace {

TEST(base64, known_values) {
  std::string out;
  append_base64(out, reinterpret_cast<const unsigned char*>("foobar"), 6);
  EXPECT_EQ(out, "Zm9vYmFy");
  out.clear();
  append_base64(out, reinterpret_cast<const unsigned char*>("fooba"), 5);
  EXPECT_EQ(out, "Zm9vYmE=");
  out.clear();
  append_base64(out, reinterpret_cast<const unsigned char*>("f"), 1);
  EXPECT_EQ(out, "Zg==");
}

}  // namespace
}  // namespace llmgw
