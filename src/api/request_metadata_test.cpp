#include "api/request_metadata.hpp"

#include <gtest/gtest.h>

#include "usage/request_record.hpp"

namespace llmgw::api {
namespace {

TEST(request_metadata, the_metadata_object_compact_or_nothing) {
  EXPECT_EQ(metadata_json(R"({"model":"m","metadata": {"run" : "nightly", "team":"a"}})"),
            R"({"run":"nightly","team":"a"})");
  EXPECT_EQ(metadata_json(R"({"model":"m","messages":[{"role":"user","content":"say \"metadata\""}]})"), "");
  EXPECT_EQ(metadata_json(R"({"model":"m","metadata":"tags"})"), "");
  EXPECT_EQ(metadata_json(R"({"model":"m","metadata":{}})"), "");
  EXPECT_EQ(metadata_json(R"({"messages":[{"metadata":{"nested":"no"}}]})"), "");
  const std::string big = R"({"metadata":{"k":")" + std::string(usage::k_max_metadata_bytes, 'x') + R"("}})";
  EXPECT_EQ(metadata_json(big), "");  // not cut: a cut object is not JSON
}

}  // namespace
}  // namespace llmgw::api
