#include "mock/embeddings.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

namespace llmgw::mock {
namespace {

std::vector<unsigned char> base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<unsigned char> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = value(c);
    if (v < 0) break;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>(acc >> bits));
    }
  }
  return out;
}

TEST(embeddings, deterministic_unit_vectors) {
  std::vector<float> a(64), b(64), c(64);
  embedding_vector("\"hello\"", a.data(), a.size());
  embedding_vector("\"hello\"", b.data(), b.size());
  embedding_vector("\"world\"", c.data(), c.size());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double norm = 0;
  for (float x : a) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(embeddings, default_dimensions) {
  EXPECT_EQ(default_dimensions("text-embedding-3-small"), 1536u);
  EXPECT_EQ(default_dimensions("text-embedding-3-large"), 3072u);
  EXPECT_EQ(default_dimensions("text-embedding-ada-002"), 1536u);
}

TEST(embeddings, float_and_base64_responses_agree) {
  std::string body_f = R"({"model":"text-embedding-3-small","input":["a","b"],"dimensions":16})";
  std::string body_b =
      R"({"model":"text-embedding-3-small","input":["a","b"],"dimensions":16,"encoding_format":"base64"})";
  embeddings_request_info f, b;
  ASSERT_FALSE(read_embeddings_request(body_f, f));
  ASSERT_FALSE(read_embeddings_request(body_b, b));
  std::string out_f, out_b;
  append_embeddings_response(out_f, f);
  append_embeddings_response(out_b, b);
  auto vf = boost::json::parse(out_f);
  auto vb = boost::json::parse(out_b);
  EXPECT_EQ(vf.at("object").as_string(), "list");
  EXPECT_EQ(vf.at("model").as_string(), "text-embedding-3-small");
  EXPECT_EQ(vf.at("usage").at("prompt_tokens").as_int64(), vf.at("usage").at("total_tokens").as_int64());
  const auto& data_f = vf.at("data").as_array();
  const auto& data_b = vb.at("data").as_array();
  ASSERT_EQ(data_f.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(data_f[i].at("object").as_string(), "embedding");
    EXPECT_EQ(data_f[i].at("index").as_int64(), static_cast<std::int64_t>(i));
    const auto& floats = data_f[i].at("embedding").as_array();
    ASSERT_EQ(floats.size(), 16u);
    auto bytes = base64_decode(data_b[i].at("embedding").as_string());
    ASSERT_EQ(bytes.size(), 64u);
    for (std::size_t k = 0; k < 16; ++k) {
      std::uint32_t bits = 0;
      for (int j = 0; j < 4; ++j) bits |= std::uint32_t{bytes[k * 4 + j]} << (8 * j);  // little-endian
      EXPECT_FLOAT_EQ(std::bit_cast<float>(bits), static_cast<float>(floats[k].to_number<double>()));
    }
  }
}

}  // namespace
}  // namespace llmgw::mock
