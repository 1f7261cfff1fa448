#include "core/secret_scrubber.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace llmgw {
namespace {

constexpr std::string_view k_key = "sk-vendor-secret-0123456789";
constexpr std::string_view k_aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

secret_scrubber make() {
  const std::array<std::string_view, 2> secrets{k_key, k_aws};
  return secret_scrubber(secrets);
}

std::string scrub(std::string_view text) { return make().scrubbed(text); }

TEST(secret_scrubber, whole_secrets_are_replaced) {
  EXPECT_EQ(scrub("key sk-vendor-secret-0123456789 here"), "key [redacted] here");
  EXPECT_EQ(scrub(k_aws), "[redacted]");
}

TEST(secret_scrubber, fragments_of_eight_or_more_are_replaced_whole) {
  // Without the prefix, truncated, masked in the middle.
  EXPECT_EQ(scrub("vendor-secret-0123456789"), "[redacted]");
  EXPECT_EQ(scrub("Incorrect API key provided: sk-vendor-se****6789."),
            "Incorrect API key provided: [redacted]****6789.");
  EXPECT_EQ(scrub("x=\"EXAMPLEKEY\""), "x=\"[redacted]\"");
  EXPECT_EQ(scrub("13579246"), "13579246");  // 8 characters of the key, but not consecutive in it
  EXPECT_EQ(scrub("01234567"), "[redacted]");
}

TEST(secret_scrubber, shorter_fragments_are_left) {
  EXPECT_EQ(scrub("sk-vendo"), "[redacted]");  // exactly 8
  EXPECT_EQ(scrub("sk-vend"), "sk-vend");      // 7
  EXPECT_EQ(scrub("secret-"), "secret-");
}

TEST(secret_scrubber, runs_of_two_secrets_and_repeats) {
  EXPECT_EQ(scrub("a sk-vendor-secret-0123456789 b sk-vendor-secret-0123456789 c"), "a [redacted] b [redacted] c");
  // Two fragments back to back, overlapping nothing: two replacements.
  EXPECT_EQ(scrub("0123456789EXAMPLEKEY"), "[redacted][redacted]");
  // A fragment at the very end and at the very start.
  EXPECT_EQ(scrub("23456789:"), "[redacted]:");
  EXPECT_EQ(scrub("3456789:"), "3456789:");
  EXPECT_EQ(scrub(":CYEXAMPL"), ":[redacted]");
}

TEST(secret_scrubber, text_without_secrets_is_untouched) {
  std::string text(5000, 'a');
  text += "sk-vend and 0123456 and EXAMPLE";
  std::string copy = text;
  EXPECT_EQ(make().scrub(text), 0u);
  EXPECT_EQ(text, copy);
  EXPECT_EQ(scrub(""), "");
  EXPECT_EQ(scrub("short"), "short");
}

TEST(secret_scrubber, json_and_sse_stay_well_formed) {
  // A secret with a quote, a backslash and a newline: the runs stop before them.
  const std::array<std::string_view, 1> secrets{"abcdefghij\"klmnopqrst\\uvwxyz0123\n456789ABCDEF"};
  const secret_scrubber s(secrets);
  EXPECT_EQ(s.scrubbed("{\"k\":\"abcdefghij\\\"klmnopqrst\\\\uvwxyz0123\\n456789ABCDEF\"}"),
            "{\"k\":\"[redacted]\\\"[redacted]\\\\[redacted]\\n[redacted]\"}");
  EXPECT_EQ(s.scrubbed("data: klmnopqrst\n\n"), "data: [redacted]\n\n");
}

TEST(secret_scrubber, short_and_no_secrets_find_nothing) {
  const std::array<std::string_view, 2> secrets{"ollama", ""};
  const secret_scrubber s(secrets);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.scrubbed("ollama says hi"), "ollama says hi");
  EXPECT_EQ(secret_scrubber().scrubbed("sk-vendor-secret-0123456789"), "sk-vendor-secret-0123456789");
}

TEST(secret_scrubber, find_reports_the_whole_run) {
  const auto s = make();
  const std::string text = "..sk-vendor-secret-0123456789..";
  auto m = s.find(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->begin, 2u);
  EXPECT_EQ(m->end, text.size() - 2);
  EXPECT_FALSE(s.find(text, m->end));
}

TEST(secret_scrubber, many_secrets_still_exact) {
  // A bitmap under load: 200 random-looking keys, each found, nothing else.
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i)
    keys.push_back("key-" + std::to_string(i * 7919) + "-" + std::to_string(i * 104729) + "-tail");
  std::vector<std::string_view> views(keys.begin(), keys.end());
  const secret_scrubber s(views);
  for (const auto& k : keys) EXPECT_EQ(s.scrubbed("<" + k + ">"), "<[redacted]>") << k;
  std::string prose;
  for (int i = 0; i < 200; ++i) prose += "The quick brown fox jumps over the lazy dog. ";
  EXPECT_EQ(s.scrubbed(prose), prose);
}

}  // namespace
}  // namespace llmgw
