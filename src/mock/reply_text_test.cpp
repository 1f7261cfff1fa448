#include "mock/reply_text.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace llmgw::mock {
namespace {

std::vector<std::string> tokens_of(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = next_token_end(text, pos);
    out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

TEST(reply_text, default_sentence_names_the_model) {
  std::string text;
  append_reply_text(text, "gpt-4o-mini", std::nullopt);
  EXPECT_EQ(text, "This is a mock response from gpt-4o-mini.");
  auto tokens = tokens_of(text);
  EXPECT_EQ(tokens.front(), "This");
  EXPECT_EQ(tokens[1], " is");
  EXPECT_EQ(count_tokens(text), tokens.size());
  std::string joined;
  for (auto& t : tokens) joined += t;
  EXPECT_EQ(joined, text);
}

TEST(reply_text, exact_token_count_longer_and_shorter) {
  for (std::uint32_t n : {0u, 1u, 3u, 8u, 9u, 50u, 1000u}) {
    std::string text;
    append_reply_text(text, "m", n);
    EXPECT_EQ(count_tokens(text), n) << n;
  }
}

TEST(reply_text, tokens_are_short_and_never_split_utf8) {
  std::string text = "Grüße aus Köln: ünïcödé€€€€€€€ averyveryverylongword";
  for (const auto& t : tokens_of(text)) {
    EXPECT_LE(t.size(), k_max_token_bytes + 3);
    EXPECT_NE(static_cast<unsigned char>(t.front()) & 0xC0, 0x80) << t;
  }
}

TEST(reply_text, prefix_of_tokens) {
  std::string_view text = "one two three";
  EXPECT_EQ(text.substr(0, prefix_of_tokens(text, 2)), "one two");
  EXPECT_EQ(prefix_of_tokens(text, 99), text.size());
  EXPECT_EQ(prefix_of_tokens(text, 0), 0u);
}

}  // namespace
}  // namespace llmgw::mock
