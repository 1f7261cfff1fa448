#include "providers/openai_embeddings.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llmgw::providers {
namespace {

TEST(OpenaiEmbeddings, FloatsBecomeLittleEndianFloat32Base64) {
  const auto out = boost::json::parse(embeddings_as_base64(
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0,-2,0.5]}],"model":"m"})"));
  // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 0.5f = 00 00 00 3f
  EXPECT_EQ(out.at("data").at(0).at("embedding"), "AACAPwAAAMAAAAA/");
  EXPECT_EQ(out.at("model"), "m");
}

TEST(OpenaiEmbeddings, OtherBodiesUnchanged) {
  EXPECT_EQ(embeddings_as_base64("not json"), "not json");
  EXPECT_EQ(embeddings_as_base64(R"({"error":{}})"), R"({"error":{}})");
}

}  // namespace
}  // namespace llmgw::providers
