#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::http {
namespace {

request_limits small_limits() {
  request_limits l;
  l.max_header_bytes = 1024;
  l.max_body_bytes = 100;
  l.max_fields = 8;
  l.max_chunk_line = 32;
  return l;
}

struct parsed {
  head_result r;
  request_head head;
};

parsed parse(std::string_view text, request_limits l = small_limits()) {
  parsed p;
  p.r = parse_head(text, l, p.head);
  return p;
}

int status(std::string_view text) {
  auto p = parse(text);
  if (p.r.error == framing_error::none) return p.r.complete ? 200 : 0;
  return status_of(p.r.error);
}

TEST(parse_head, simple_request) {
  auto p = parse("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Y:  v v \r\n\r\nhello");
  ASSERT_TRUE(p.r.complete);
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.target, "/v1/chat/completions?x=1");
  EXPECT_EQ(p.head.content_length, 5u);
  EXPECT_EQ(p.head.find("x-y"), "v v");
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_EQ(
      p.head.size,
      std::string_view("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Y:  v v \r\n\r\n")
          .size());
}

TEST(parse_head, incomplete_until_the_empty_line) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
}

TEST(parse_head, leading_empty_lines_are_skipped) {
  auto p = parse("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(p.r.complete);
  EXPECT_EQ(p.head.target, "/x");
}

TEST(parse_head, header_limit_gives_431_before_the_end_arrives) {
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(2000, 'a');
  EXPECT_EQ(status(big), 431);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 9; ++i) many += "X" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(status(many + "\r\n"), 431);
}

TEST(parse_head, strict_line_ends) {
  EXPECT_EQ(status("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400);
}

TEST(parse_head, request_line_rules) {
  EXPECT_EQ(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status("GET / HTTQ/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  auto abs = parse("GET http://example.com/v1/models HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_TRUE(abs.r.complete);
  EXPECT_EQ(abs.head.target, "/v1/models");
}

TEST(parse_head, methods_are_case_sensitive) {
  EXPECT_TRUE(is_known_method("GET"));
  EXPECT_FALSE(is_known_method("get"));
  EXPECT_FALSE(is_known_method("CONNECT"));
}

TEST(parse_head, field_rules) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n"), 400);       // space before colon
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"), 400);  // obs-fold
  EXPECT_EQ(status(std::string("GET / HTTP/1.1\r\nHost: a\r\nX: b\0c\r\n\r\n", 35)), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
}

TEST(parse_head, host_is_required_in_http_1_1_and_unique) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.0\r\n\r\n"), 200);
}

TEST(parse_head, connection_semantics) {
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(
      parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n").head.expect_continue);
}

TEST(parse_head, content_length_rules) {
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 200);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n"), 413);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 413);
}

TEST(parse_head, transfer_encoding_must_end_with_one_chunked) {
  auto ok = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_TRUE(ok.r.complete);
  EXPECT_TRUE(ok.head.chunked);
  for (const char* te : {"gzip", "identity", "xchunked", "chunked, identity", "chunked, chunked", ",", "chunked;q=1"}) {
    EXPECT_EQ(status(std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + te + "\r\n\r\n"), 400) << te;
  }
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

// ---------------------------------------------------------------- chunked

struct decoded {
  std::string body;
  std::size_t used = 0;
  bool done = false;
  framing_error error = framing_error::none;
};

// Feeds `wire` split into pieces of `step` bytes.
decoded decode(std::string_view wire, std::size_t step, std::size_t head_bytes = 100) {
  chunked_decoder d(small_limits(), head_bytes);
  decoded out;
  for (std::size_t i = 0; i < wire.size() && !d.done() && !d.failed(); i += step) {
    auto piece = wire.substr(i, step);
    out.used += d.feed(piece, out.body);
  }
  out.done = d.done();
  out.error = d.error();
  return out;
}

TEST(chunked_decoder, decodes_at_every_split) {
  const std::string wire = "5;name=value\r\nhello\r\n000A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    auto d = decode(wire, step);
    ASSERT_TRUE(d.done) << step;
    EXPECT_EQ(d.body, "hello0123456789") << step;
    EXPECT_EQ(wire.substr(d.used), "NEXT") << step;
  }
}

TEST(chunked_decoder, bounds_every_part_of_the_framing) {
  // Extension that never ends, size digits that never end (leading zeros).
  EXPECT_EQ(decode("5;" + std::string(100, 'a'), 7).error, framing_error::bad_request);
  EXPECT_EQ(decode(std::string(100, '0'), 7).error, framing_error::bad_request);
  // Trailers larger than what the head left of the header limit.
  EXPECT_EQ(decode("0\r\nX: " + std::string(100, 'a') + "\r\n\r\n", 7, 1000).error, framing_error::bad_request);
  EXPECT_EQ(decode("0\r\nX: y\r\n\r\n", 7, 1000).error, framing_error::none);
  // Body limit, for one huge chunk and for many small ones.
  EXPECT_EQ(decode("FFFFFFFFFFFFFFFFFFFF\r\n", 3).error, framing_error::body_too_large);
  std::string many;
  for (int i = 0; i < 30; ++i) many += "5\r\nabcde\r\n";
  EXPECT_EQ(decode(many, 9).error, framing_error::body_too_large);
}

TEST(chunked_decoder, malformed_framing) {
  EXPECT_EQ(decode("5\r\nhelloX\r\n0\r\n\r\n", 4).error, framing_error::bad_request);
  EXPECT_EQ(decode("g\r\n", 4).error, framing_error::bad_request);
  EXPECT_EQ(decode("5\nhello\r\n", 4).error, framing_error::bad_request);
  EXPECT_EQ(decode(";x\r\n", 4).error, framing_error::bad_request);
  EXPECT_EQ(decode("5;a\x01\r\n", 4).error, framing_error::bad_request);
}

// Checked eight bytes at a time: a control byte is refused wherever it
// sits (each lane, and the tail past the last whole word); tabs and bytes
// above 0x7f are allowed anywhere.
TEST(request_parser, a_field_value_with_a_control_byte_anywhere_is_refused) {
  const std::string clean = "gpt-4o-mini-2024-07-18 \x80\xff end";
  EXPECT_TRUE(is_field_value(clean));
  EXPECT_TRUE(is_field_value(""));
  for (std::size_t at = 0; at < clean.size(); ++at) {
    for (char bad : {'\0', '\r', '\n', '\x1f', '\x7f'}) {
      std::string v = clean;
      v[at] = bad;
      EXPECT_FALSE(is_field_value(v)) << at << " " << int(bad);
    }
    std::string tab = clean;
    tab[at] = '\t';
    EXPECT_TRUE(is_field_value(tab)) << at;
  }
}

// Checked four characters a step: a character outside tchar is refused in
// every lane and in the tail.
TEST(request_parser, a_token_with_a_separator_anywhere_is_refused) {
  const std::string name = "x-ratelimit-remaining-tokens";
  EXPECT_TRUE(is_token(name));
  EXPECT_TRUE(is_token("!#$%&'*+-.^_`|~09AZaz"));
  EXPECT_FALSE(is_token(""));
  for (std::size_t at = 0; at < name.size(); ++at) {
    for (char bad : {' ', ':', '"', '(', '/', '@', '\x7f', '\x80', '\0'}) {
      std::string v = name;
      v[at] = bad;
      EXPECT_FALSE(is_token(v)) << at << " " << int(bad);
    }
  }
}
}  // namespace
}  // namespace llmgw::http
