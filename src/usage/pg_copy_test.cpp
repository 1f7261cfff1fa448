#include "usage/pg_copy.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <string>

#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {
namespace {

// Reads the format back the way PostgreSQL does: lengths and numbers in
// network byte order.
struct stream_reader {
  std::string_view in;
  std::int64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(n);
    if (n == 2) return static_cast<std::int16_t>(v);
    if (n == 4) return static_cast<std::int32_t>(v);
    return static_cast<std::int64_t>(v);
  }
};

TEST(pg_copy, one_row_as_postgresql_reads_binary_copy) {
  request_record rec;
  rec.ended = std::chrono::system_clock::now();
  rec.request_id = "req-copy";
  rec.path = "/v1/chat/completions";
  rec.client_api = "openai";
  rec.status = 200;
  rec.stream = true;
  rec.latency_ms = 12.5;
  rec.prompt_tokens = 300;
  rec.user_id = std::string("a\0b", 3);  // PostgreSQL text holds no NUL
  row r;
  ASSERT_TRUE(fill_row(rec, r));
  std::string entries;
  append_entry(r, entries);

  std::string out;
  ASSERT_TRUE(append_copy_stream(entries, 1, out));
  ASSERT_EQ(out.substr(0, 11), std::string("PGCOPY\n\377\r\n\0", 11));
  stream_reader s{std::string_view(out).substr(11)};
  EXPECT_EQ(s.be(4), 0);  // flags
  EXPECT_EQ(s.be(4), 0);  // header extension
  ASSERT_EQ(s.be(2), static_cast<std::int64_t>(k_column_count));
  for (std::size_t c = 0; c < k_column_count; ++c) {
    const std::int64_t n = s.be(4);
    const std::string_view name = k_columns[c].name;
    if (r[c].null) {
      EXPECT_EQ(n, -1) << name;
      continue;
    }
    ASSERT_GE(n, 0) << name;
    const std::string_view bytes = s.in.substr(0, static_cast<std::size_t>(n));
    if (name == "request_id") {
      EXPECT_EQ(bytes, "req-copy");
    }
    if (name == "user_id") {
      EXPECT_EQ(bytes, "a b");
    }
    if (name == "stream") {
      EXPECT_EQ(bytes, std::string_view("\1", 1));
    }
    if (name == "status") {
      stream_reader v{bytes};
      EXPECT_EQ(v.be(8), 200);
    }
    if (name == "latency_ms") {
      stream_reader v{bytes};
      EXPECT_EQ(std::bit_cast<double>(v.be(8)), 12.5);
    }
    s.in.remove_prefix(static_cast<std::size_t>(n));
  }
  EXPECT_EQ(s.be(2), -1);  // trailer
  EXPECT_TRUE(s.in.empty());
  EXPECT_LT(column_index("latency_ms"), k_column_count);
  EXPECT_LT(column_index("user_id"), k_column_count);
  EXPECT_NE(copy_sql().find("FROM STDIN (FORMAT binary)"), std::string::npos);
}

TEST(pg_copy, a_corrupt_entry_is_refused) {
  std::string out;
  EXPECT_FALSE(append_copy_stream("not an entry at all", 1, out));
}

}  // namespace
}  // namespace llmgw::usage
