#include "core/eventstream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmgw::eventstream {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// aws-c-event-stream's test messages: empty, payload only, one string header.
const std::string k_empty =
    bytes({0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff});
const std::string k_payload_only = bytes({0x00, 0x00, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x52, 0x8c, 0x5a}) +
                                   "{'foo':'bar'}" + bytes({0xc3, 0x65, 0x39, 0x36});
const std::string k_with_header =
    bytes({0x00, 0x00, 0x00, 0x3D, 0x00, 0x00, 0x00, 0x20, 0x07, 0xFD, 0x83, 0x96, 0x0C}) + "content-type" +
    bytes({0x07, 0x00, 0x10}) + "application/json" + "{'foo':'bar'}" + bytes({0x8D, 0x9C, 0x08, 0xB1});

// A message around a hand-made headers block, with correct CRCs.
std::string frame(std::string_view header_block, std::string_view payload) {
  std::string out;
  auto put = [&out](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  };
  put(static_cast<std::uint32_t>(16 + header_block.size() + payload.size()));
  put(static_cast<std::uint32_t>(header_block.size()));
  put(crc32(std::string_view(out).substr(0, 8)));
  out.append(header_block);
  out.append(payload);
  put(crc32(out));
  return out;
}

std::vector<event_message> decode_all(std::string_view input, std::size_t piece, eventstream_decoder& d) {
  std::vector<event_message> out;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    d.feed(input.substr(at, piece));
    event_message m;
    while (d.next(m)) out.push_back(m);
  }
  return out;
}

TEST(aws_eventstream, crc32_check_value) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("6789", crc32("12345")), 0xCBF43926u);
}

TEST(aws_eventstream, encoder_reproduces_the_reference_messages) {
  std::string out;
  append_event_message(out, {}, "");
  EXPECT_EQ(out, k_empty);
  out.clear();
  append_event_message(out, {}, "{'foo':'bar'}");
  EXPECT_EQ(out, k_payload_only);
  out.clear();
  append_event_message(out, {{"content-type", "application/json"}}, "{'foo':'bar'}");
  EXPECT_EQ(out, k_with_header);
}

TEST(aws_eventstream, decodes_reference_messages_split_anywhere) {
  const std::string all = k_empty + k_payload_only + k_with_header;
  for (std::size_t piece = 1; piece <= all.size(); ++piece) {
    eventstream_decoder d;
    const auto messages = decode_all(all, piece, d);
    ASSERT_EQ(messages.size(), 3u) << "piece " << piece;
    EXPECT_EQ(messages[0].payload, "");
    EXPECT_EQ(messages[1].payload, "{'foo':'bar'}");
    EXPECT_EQ(messages[2].payload, "{'foo':'bar'}");
    EXPECT_FALSE(d.failed());
    EXPECT_FALSE(d.partial());
  }
}

TEST(aws_eventstream, reports_the_bedrock_headers) {
  std::string out;
  append_event_message(
      out, {{":event-type", "contentBlockDelta"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  append_event_message(out,
                       {{":exception-type", "throttlingException"},
                        {":content-type", "application/json"},
                        {":message-type", "exception"}},
                       R"({"message":"slow down"})");
  append_event_message(out, {{":message-type", "error"}, {":error-code", "E"}, {":error-message", "bad"}}, "");
  eventstream_decoder d;
  const auto m = decode_all(out, out.size(), d);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].event_type, "contentBlockDelta");
  EXPECT_EQ(m[0].content_type, "application/json");
  EXPECT_EQ(m[0].message_type, "event");
  EXPECT_EQ(m[0].payload, R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  EXPECT_EQ(m[1].message_type, "exception");
  EXPECT_EQ(m[1].exception_type, "throttlingException");
  EXPECT_EQ(m[1].event_type, "");
  EXPECT_EQ(m[2].error_code, "E");
  EXPECT_EQ(m[2].error_message, "bad");
}

TEST(aws_eventstream, skips_every_header_type) {
  std::string block;
  auto header = [&block](std::string_view name, int type, std::string_view value) {
    block.push_back(static_cast<char>(name.size()));
    block.append(name);
    block.push_back(static_cast<char>(type));
    block.append(value);
  };
  header("t", 0, "");
  header("f", 1, "");
  header("b", 2, bytes({0x7f}));
  header("s", 3, bytes({0, 1}));
  header("i", 4, bytes({0, 0, 0, 1}));
  header("l", 5, std::string(8, '\1'));
  header("a", 6, bytes({0, 3}) + "xyz");
  header(":event-type", 7, bytes({0, 8}) + "metadata");
  header("ts", 8, std::string(8, '\2'));
  header("u", 9, std::string(16, '\3'));
  eventstream_decoder d;
  const auto m = decode_all(frame(block, "{}"), 5, d);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].event_type, "metadata");
  EXPECT_EQ(m[0].payload, "{}");
}

TEST(aws_eventstream, rejects_an_unknown_header_type) {
  std::string block = bytes({1, 'x', 10});
  eventstream_decoder d;
  EXPECT_TRUE(decode_all(frame(block, ""), 64, d).empty());
  EXPECT_TRUE(d.failed());
}

TEST(aws_eventstream, rejects_headers_running_past_their_block) {
  eventstream_decoder d;
  EXPECT_TRUE(decode_all(frame(bytes({1, 'x', 7, 0, 9}) + "ab", ""), 64, d).empty());
  EXPECT_TRUE(d.failed());
}

TEST(aws_eventstream, rejects_a_corrupt_prelude_crc) {
  std::string broken = k_empty;
  broken[9] = static_cast<char>(0xc3);  // one bit flipped
  eventstream_decoder d;
  EXPECT_TRUE(decode_all(broken, broken.size(), d).empty());
  EXPECT_TRUE(d.failed());
  EXPECT_NE(d.error().find("prelude"), std::string::npos);
}

TEST(aws_eventstream, rejects_a_corrupt_message_crc) {
  std::string broken = k_payload_only;
  broken[14] ^= 1;  // inside the payload
  eventstream_decoder d;
  EXPECT_TRUE(decode_all(broken, 3, d).empty());
  EXPECT_TRUE(d.failed());
  EXPECT_NE(d.error().find("message CRC"), std::string::npos);
}

TEST(aws_eventstream, rejects_absurd_lengths_before_waiting_for_them) {
  // aws-c-event-stream's 16 MiB + 1 prelude (with its valid prelude CRC).
  const std::string huge = bytes({0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x94, 0xE8, 0xF6, 0x47});
  eventstream_decoder d;
  d.feed(huge);
  event_message m;
  EXPECT_FALSE(d.next(m));
  EXPECT_TRUE(d.failed());

  std::string too_short;
  for (int b : {0, 0, 0, 8, 0, 0, 0, 0}) too_short.push_back(static_cast<char>(b));
  const std::uint32_t crc = crc32(too_short);
  for (int shift = 24; shift >= 0; shift -= 8) too_short.push_back(static_cast<char>(crc >> shift));
  eventstream_decoder short_decoder;
  short_decoder.feed(too_short);
  EXPECT_FALSE(short_decoder.next(m));
  EXPECT_TRUE(short_decoder.failed());
}

TEST(aws_eventstream, partial_message_is_visible) {
  eventstream_decoder d;
  d.feed(std::string_view(k_with_header).substr(0, 20));
  event_message m;
  EXPECT_FALSE(d.next(m));
  EXPECT_FALSE(d.failed());
  EXPECT_TRUE(d.partial());
  d.feed(std::string_view(k_with_header).substr(20));
  EXPECT_TRUE(d.next(m));
  EXPECT_FALSE(d.partial());
}

}  // namespace
}  // namespace llmgw::eventstream
