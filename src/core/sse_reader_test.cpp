#include "core/sse_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmgw {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// An owning copy of sse_event, so results of several feeds can be compared.
struct owned_event {
  std::string raw, event, data, id;
  bool has_data = false, has_id = false;
  std::optional<std::uint64_t> retry;
  bool operator==(const owned_event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const owned_event& e) {
  return os << "{raw=" << testing::PrintToString(e.raw) << " event=" << e.event
            << " data=" << testing::PrintToString(e.data) << " id=" << e.id << " has_data=" << e.has_data << "}";
}

void drain(sse_reader& reader, std::vector<owned_event>& out) {
  sse_event ev;
  while (reader.next(ev)) {
    out.push_back({std::string(ev.raw), std::string(ev.event), std::string(ev.data), std::string(ev.id), ev.has_data,
                   ev.has_id, ev.retry});
  }
}

std::vector<owned_event> read_chunks(const std::vector<std::string_view>& chunks, bool finish = true) {
  sse_reader reader;
  std::vector<owned_event> out;
  for (auto chunk : chunks) {
    reader.feed(chunk);
    drain(reader, out);
  }
  if (finish) {
    reader.finish();
    drain(reader, out);
  }
  return out;
}

std::vector<owned_event> read_whole(std::string_view input) { return read_chunks({input}); }

std::vector<owned_event> only_events(const std::vector<owned_event>& all) {
  std::vector<owned_event> out;
  for (const auto& e : all) {
    if (e.has_data) out.push_back(e);
  }
  return out;
}

// A stream mixing every feature: LF, CRLF and CR line ends, comments, fields
// without a colon, multi-line data, ids, retry, a BOM and the OpenAI terminator.
const std::string k_mixed =
    "\xEF\xBB\xBF: hello comment\n"
    "\n"
    "data: {\"id\":\"a\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n"
    "\n"
    "event: message_start\r\n"
    "data: first\r\n"
    "data:second\r\n"
    "data\r\n"
    "id: 42\r\n"
    "\r\n"
    "retry: 1500\rdata:  two spaces\r\r"
    ": keep-alive\n\n"
    "id\n"
    "data: x\n"
    "unknown: field\n"
    "\n"
    "data: [DONE]\n\n";

TEST(sse_reader, parses_a_mixed_stream) {
  const auto events = only_events(read_whole(k_mixed));
  ASSERT_EQ(events.size(), 5u);

  EXPECT_EQ(events[0].data, R"({"id":"a","choices":[{"delta":{"content":"Hi"}}]})");
  EXPECT_EQ(events[0].raw, "data: {\"id\":\"a\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n");
  EXPECT_EQ(events[0].event, "");

  EXPECT_EQ(events[1].event, "message_start");
  EXPECT_EQ(events[1].data, "first\nsecond\n");  // "data" alone adds an empty line
  EXPECT_EQ(events[1].id, "42");
  EXPECT_TRUE(events[1].has_id);
  EXPECT_EQ(events[1].raw, "event: message_start\r\ndata: first\r\ndata:second\r\ndata\r\nid: 42\r\n\r\n");

  EXPECT_EQ(events[2].data, " two spaces");  // only one leading space is stripped
  EXPECT_EQ(events[2].retry, 1500u);
  EXPECT_EQ(events[2].raw, "retry: 1500\rdata:  two spaces\r\r");

  EXPECT_TRUE(events[3].has_id);
  EXPECT_EQ(events[3].id, "");
  EXPECT_EQ(events[3].data, "x");

  EXPECT_EQ(events[4].data, "[DONE]");
  EXPECT_EQ(events[4].raw, "data: [DONE]\n\n");
}

TEST(sse_reader, concatenated_raw_blocks_give_back_the_input) {
  std::string joined;
  for (const auto& e : read_whole(k_mixed)) joined += e.raw;
  EXPECT_EQ(joined, k_mixed);
}

TEST(sse_reader, every_split_point_yields_the_same_events) {
  const auto whole = read_whole(k_mixed);
  for (std::size_t i = 0; i <= k_mixed.size(); ++i) {
    std::string_view in(k_mixed);
    EXPECT_EQ(read_chunks({in.substr(0, i), in.substr(i)}), whole) << "split at " << i;
  }
}

TEST(sse_reader, every_pair_of_split_points_yields_the_same_events) {
  const auto whole = read_whole(k_mixed);
  std::string_view in(k_mixed);
  for (std::size_t i = 0; i <= in.size(); i += 3) {
    for (std::size_t j = i; j <= in.size(); ++j) {
      ASSERT_EQ(read_chunks({in.substr(0, i), in.substr(i, j - i), in.substr(j)}), whole) << i << "," << j;
    }
  }
}

TEST(sse_reader, byte_by_byte_yields_the_same_events) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < k_mixed.size(); ++i) bytes.push_back(std::string_view(k_mixed).substr(i, 1));
  EXPECT_EQ(read_chunks(bytes), read_whole(k_mixed));
}

TEST(sse_reader, events_come_out_as_soon_as_their_blank_line_arrives) {
  sse_reader reader;
  sse_event ev;
  reader.feed("data: a\n");
  EXPECT_FALSE(reader.next(ev));
  reader.feed("\ndata: b");
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.data, "a");
  EXPECT_FALSE(reader.next(ev));
  EXPECT_EQ(reader.pending(), "data: b");
  reader.feed("\r\n\r\n");
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.data, "b");
  EXPECT_EQ(ev.raw, "data: b\r\n\r\n");
  EXPECT_EQ(reader.pending(), "");
}

TEST(sse_reader, crlf_split_between_cr_and_lf_keeps_the_lf_in_the_event) {
  sse_reader reader;
  sse_event ev;
  reader.feed("data: a\r\n\r");
  EXPECT_FALSE(reader.next(ev));  // the '\n' may still come
  reader.feed("\ndata: b\r\n\r\n");
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.raw, "data: a\r\n\r\n");
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.raw, "data: b\r\n\r\n");
}

TEST(sse_reader, cr_line_end_at_the_end_of_the_stream_completes_on_finish) {
  sse_reader reader;
  sse_event ev;
  reader.feed("data: a\r\r");
  EXPECT_FALSE(reader.next(ev));
  reader.finish();
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.data, "a");
  EXPECT_EQ(ev.raw, "data: a\r\r");
}

TEST(sse_reader, unterminated_block_is_not_an_event) {
  const auto events = read_whole("data: a\n\ndata: b\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a");
}

TEST(sse_reader, comments_and_stray_blank_lines_are_blocks_without_data) {
  const auto blocks = read_whole(": ping\n\n\ndata: x\n\n");
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_FALSE(blocks[0].has_data);
  EXPECT_EQ(blocks[0].raw, ": ping\n\n");
  EXPECT_FALSE(blocks[1].has_data);
  EXPECT_EQ(blocks[1].raw, "\n");
  EXPECT_TRUE(blocks[2].has_data);
}

TEST(sse_reader, empty_data_field_is_still_an_event) {
  const auto events = read_whole("data:\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].has_data);
  EXPECT_EQ(events[0].data, "");
}

TEST(sse_reader, field_names_are_case_sensitive_and_colon_may_be_in_the_value) {
  const auto events = read_whole("Data: no\ndata: a:b: c\nevent:x:y\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a:b: c");
  EXPECT_EQ(events[0].event, "x:y");
}

TEST(sse_reader, last_event_and_id_field_win_and_nul_ids_are_ignored) {
  const auto events = read_whole("event: a\nevent: b\nid: 1\nid: 2\nid: 3\0x\ndata: d\n\n"s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "b");
  EXPECT_EQ(events[0].id, "2");
}

TEST(sse_reader, retry_must_be_digits) {
  auto events = read_whole("retry: 12a\ndata: d\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].retry);
  events = read_whole("retry: 99999999999999999999999\ndata: d\n\n");
  EXPECT_EQ(events[0].retry, std::numeric_limits<std::uint64_t>::max());
}

TEST(sse_reader, many_data_lines_are_joined_with_lf) {
  std::string input;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    input += "data: line" + std::to_string(i) + "\n";
    expected += (i ? "\n" : "") + ("line" + std::to_string(i));
  }
  input += "\n";
  const auto events = read_whole(input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, expected);
}

TEST(sse_reader, joined_data_is_rebuilt_for_each_event) {
  const auto events = read_whole("data: a\ndata: b\n\ndata: c\ndata: d\n\ndata: e\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_EQ(events[1].data, "c\nd");
  EXPECT_EQ(events[2].data, "e");
}

TEST(sse_reader, bom_only_stripped_at_the_start) {
  const std::string bom = "\xEF\xBB\xBF";
  auto events = read_whole(bom + "data: a\n\n" + bom + "data: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].has_data);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_FALSE(events[1].has_data);  // "\xEF\xBB\xBFdata" is an unknown field name
}

TEST(sse_reader, openai_done_marker) {
  const auto events = read_whole("data: {\"x\":1}\n\ndata: [DONE]\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, "[DONE]");
}

TEST(sse_reader, oversized_event_fails_the_reader) {
  sse_reader reader(16);
  sse_event ev;
  reader.feed("data: 0123456\n\n");  // 15 bytes: fits
  ASSERT_TRUE(reader.next(ev));
  reader.feed("data: 0123456789");
  EXPECT_FALSE(reader.next(ev));
  EXPECT_FALSE(reader.failed());
  reader.feed("\n");  // 17 bytes without an end
  EXPECT_FALSE(reader.next(ev));
  EXPECT_TRUE(reader.failed());
  reader.feed("\n");
  EXPECT_FALSE(reader.next(ev));
}

TEST(sse_reader, oversized_complete_event_fails_too) {
  sse_reader reader(16);
  sse_event ev;
  reader.feed("data: a\n\ndata: 0123456789\n\ndata: b\n\n");
  ASSERT_TRUE(reader.next(ev));
  EXPECT_EQ(ev.data, "a");
  EXPECT_FALSE(reader.next(ev));
  EXPECT_TRUE(reader.failed());
}

TEST(sse_reader, large_event_fed_in_small_pieces) {
  std::string payload(100000, 'x');
  std::string input = "data: " + payload + "\n\n";
  sse_reader reader;
  sse_event ev;
  std::size_t got = 0;
  for (std::size_t i = 0; i < input.size(); i += 1000) {
    reader.feed(std::string_view(input).substr(i, 1000));
    while (reader.next(ev)) {
      EXPECT_EQ(ev.data, payload);
      ++got;
    }
  }
  EXPECT_EQ(got, 1u);
}

// Line ends are found eight bytes at a time: every position of a line end
// within and across words, each kind of line end, and bytes at or above 0x80
// (UTF-8, and the values the bit trick must not take for a match) beside them.
TEST(sse_reader, finds_every_line_end_whatever_its_offset) {
  for (std::size_t pad = 0; pad < 24; ++pad) {
    for (std::string_view end : {"\n"sv, "\r\n"sv, "\r"sv}) {
      const std::string value = std::string(pad, 'x') + "\xC3\xA9\x8A\x8D\xFF";
      std::string input;
      for (int i = 0; i < 3; ++i) {
        input += "data: ";
        input += value;
        input += end;
        input += end;
      }
      const auto events = read_whole(input);
      ASSERT_EQ(events.size(), 3u) << "pad " << pad;
      for (const auto& e : events) EXPECT_EQ(e.data, value) << "pad " << pad;
    }
  }
}

}  // namespace
}  // namespace llmgw
