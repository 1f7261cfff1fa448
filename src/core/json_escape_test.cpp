#include "core/json_escape.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace llmgw {
namespace {

std::string escaped(std::string_view s) {
  std::string out = "prefix:";
  append_json_escaped(out, s);
  return out.substr(7);
}

TEST(json_escape, plain_text_is_copied) {
  EXPECT_EQ(escaped("hello world"), "hello world");
  EXPECT_EQ(escaped(""), "");
}

TEST(json_escape, quotes_backslashes_and_controls) {
  EXPECT_EQ(escaped("\"\\/"), "\\\"\\\\/");
  EXPECT_EQ(escaped("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(escaped(std::string_view("\0\x01\x1f", 3)), "\\u0000\\u0001\\u001f");
  EXPECT_EQ(escaped("\x7f"), "\x7f");
}

TEST(json_escape, valid_utf8_is_kept) {
  EXPECT_EQ(escaped("é中😀"), "é中😀");
  EXPECT_EQ(escaped("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(json_escape, invalid_utf8_becomes_replacement_characters) {
  EXPECT_EQ(escaped("a\xffz"), "a\\ufffdz");
  EXPECT_EQ(escaped("\xC3"), "\\ufffd");                                   // truncated sequence
  EXPECT_EQ(escaped("\xC0\xAF"), "\\ufffd\\ufffd");                        // overlong
  EXPECT_EQ(escaped("\xED\xA0\x80"), "\\ufffd\\ufffd\\ufffd");             // encoded surrogate
  EXPECT_EQ(escaped("\xF4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // above U+10FFFF
  EXPECT_EQ(escaped("\xE2\x82"), "\\ufffd\\ufffd");
}

// Plain bytes are skipped eight at a time: a byte to escape must be found
// wherever it falls in a word, and whatever its neighbours are.
TEST(json_escape, a_byte_to_escape_is_found_at_every_offset) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\"", "\\\""},      {"\\", "\\\\"},      {"\n", "\\n"}, {std::string_view("\0", 1), "\\u0000"},
      {"\x1f", "\\u001f"}, {"\xff", "\\ufffd"}, {"é", "é"},    {"\x7f", "\x7f"},
  };
  const std::string plain(40, 'x');
  for (const auto& [special, expected] : cases) {
    for (std::size_t at = 0; at <= 24; ++at) {
      const std::string in = plain.substr(0, at) + std::string(special) + plain.substr(at);
      EXPECT_EQ(escaped(in), plain.substr(0, at) + std::string(expected) + plain.substr(at))
          << "byte " << static_cast<int>(static_cast<unsigned char>(special[0])) << " at " << at;
    }
  }
  // Just below and above each class's edge, in one word.
  EXPECT_EQ(escaped("abcdefg\x1f"), "abcdefg\\u001f");
  EXPECT_EQ(escaped("abcdefg\x20"), "abcdefg ");
  EXPECT_EQ(escaped("\x20\x21\x23\x5b\x5d\x7e\x7f\x20"), " !#[]~\x7f ");
}

TEST(json_escape, string_adds_quotes) {
  std::string out;
  append_json_string(out, "a\"b");
  EXPECT_EQ(out, "\"a\\\"b\"");
}

// is_plain_json_text() reads whole words: every length, and a byte to
// escape at every position of it, agree with what the escaper writes.
TEST(json_escape, plain_text_is_told_at_every_length_and_position) {
  for (std::size_t n = 0; n <= 24; ++n) {
    const std::string plain(n, 'x');
    EXPECT_TRUE(is_plain_json_text(plain)) << n;
    for (std::size_t at = 0; at < n; ++at) {
      for (const char special : {'"', '\\', '\n', '\x01', '\x80', '\xff'}) {
        std::string text = plain;
        text[at] = special;
        EXPECT_FALSE(is_plain_json_text(text)) << n << " " << at << " " << int(special);
      }
      std::string text = plain;
      text[at] = '~';
      EXPECT_TRUE(is_plain_json_text(text)) << n << " " << at;
    }
  }
  // A view's bytes only: what follows it in memory is not read as its own.
  const std::string longer = "abc\"def";
  EXPECT_TRUE(is_plain_json_text(std::string_view(longer).substr(0, 3)));
}

}  // namespace
}  // namespace llmgw
