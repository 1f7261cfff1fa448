#include "cache/key_memo.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::cache {
namespace {

const key_space k_space{"key:", "key_0123456789ab"};
constexpr std::string_view k_body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";

TEST(key_memo, a_body_is_known_by_every_part_of_its_question) {
  const body_identity id = identify_body(k_space, "gpt-4o-mini", answer_api::openai, k_body);
  EXPECT_EQ(id, identify_body(k_space, "gpt-4o-mini", answer_api::openai, std::string(k_body)));
  // Another byte of the body, another caller, model or client API: another question.
  std::string other_body(k_body);
  other_body.back() = ' ';
  EXPECT_NE(id, identify_body(k_space, "gpt-4o-mini", answer_api::openai, other_body));
  EXPECT_NE(id, identify_body({"key:", "key_0123456789ac"}, "gpt-4o-mini", answer_api::openai, k_body));
  EXPECT_NE(id, identify_body({"shared:", "key_0123456789ab"}, "gpt-4o-mini", answer_api::openai, k_body));
  EXPECT_NE(id, identify_body(k_space, "gpt-4o", answer_api::openai, k_body));
  EXPECT_NE(id, identify_body(k_space, "gpt-4o-mini", answer_api::anthropic, k_body));
  // Where one part ends and the next begins counts.
  EXPECT_NE(identify_body({"key:", "ab"}, "c", answer_api::openai, k_body),
            identify_body({"key:", "a"}, "bc", answer_api::openai, k_body));
  EXPECT_NE(identify_body({"key:a", "b"}, "m", answer_api::openai, k_body),
            identify_body({"key:", "ab"}, "m", answer_api::openai, k_body));
  // A name longer than the parts' buffer still counts whole.
  const std::string long_a(300, 'm'), long_b = std::string(299, 'm') + "n";
  EXPECT_NE(identify_body(k_space, long_a, answer_api::openai, k_body),
            identify_body(k_space, long_b, answer_api::openai, k_body));
  EXPECT_EQ(identify_body(k_space, long_a, answer_api::openai, k_body),
            identify_body(k_space, std::string(300, 'm'), answer_api::openai, k_body));
}

TEST(key_memo, gives_back_what_it_was_told_and_nothing_else) {
  key_memo memo(4);
  const body_identity a = identify_body(k_space, "m", answer_api::openai, "a");
  const body_identity b = identify_body(k_space, "m", answer_api::openai, "b");
  EXPECT_EQ(memo.find(a), nullptr);
  memo.remember(a, cache_key{1, 2});
  ASSERT_NE(memo.find(a), nullptr);
  EXPECT_EQ(*memo.find(a), (cache_key{1, 2}));
  EXPECT_EQ(memo.find(b), nullptr);
  // A body without a form is remembered as such.
  memo.remember(b, std::nullopt);
  ASSERT_NE(memo.find(b), nullptr);
  EXPECT_FALSE(memo.find(b)->has_value());
}

TEST(key_memo, a_newer_body_in_the_same_slot_replaces_the_older) {
  key_memo memo(1);
  const body_identity a = identify_body(k_space, "m", answer_api::openai, "a");
  const body_identity b = identify_body(k_space, "m", answer_api::openai, "b");
  memo.remember(a, cache_key{1, 2});
  memo.remember(b, cache_key{3, 4});
  EXPECT_EQ(memo.find(a), nullptr);
  ASSERT_NE(memo.find(b), nullptr);
  EXPECT_EQ(*memo.find(b), (cache_key{3, 4}));
}

}  // namespace
}  // namespace llmgw::cache
