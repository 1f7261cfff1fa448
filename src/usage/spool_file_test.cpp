#include "usage/spool_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "usage/row_codec.hpp"

namespace llmgw::usage {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/llmgw-spool-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::vector<fs::path> spools() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.path().filename().string().starts_with("usage-spool-")) out.push_back(e.path());
    }
    return out;
  }
};

// Entries for request ids `first`..`first + n - 1`, with text, numbers and nulls.
std::string entries(int first, int n) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    const std::string id = "req-" + std::to_string(i);
    row r;
    r[0].null = false;
    r[0].s = id;
    r[1].null = false;
    r[1].i = 1000 + i;
    r[27].null = false;
    r[27].d = i + 0.25;
    append_entry(r, out);
  }
  return out;
}

std::vector<std::string> ids_in(std::string_view bytes) {
  std::vector<std::string> ids;
  entry_reader reader(bytes);
  row r;
  while (reader.next(r)) ids.emplace_back(r[0].s);
  return ids;
}

// Every entry of the file, replayed as the sink does, in chunks of `chunk` bytes.
std::vector<std::string> replay(spool_file& f, std::size_t chunk) {
  std::vector<std::string> ids;
  std::string buf;
  while (std::size_t n = f.read_chunk(chunk, buf)) {
    for (auto& id : ids_in(buf)) ids.push_back(id);
    f.consumed(n);
  }
  return ids;
}

TEST(row_codec, round_trips_values_and_nulls) {
  const std::string bytes = entries(1, 3);
  EXPECT_EQ(entry_reader::count(bytes), 3u);
  entry_reader reader(bytes);
  row r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r[0].s, "req-1");
  EXPECT_EQ(r[1].i, 1001);
  EXPECT_DOUBLE_EQ(r[27].d, 1.25);
  EXPECT_TRUE(r[2].null);
  EXPECT_TRUE(reader.next(r));
  EXPECT_TRUE(reader.next(r));
  EXPECT_FALSE(reader.next(r));
  EXPECT_FALSE(reader.corrupt());
  EXPECT_EQ(reader.stopped_at(), bytes.size());
}

// The layout row_codec.hpp states, byte by byte: a spool written by one
// version is replayed by the next, so the encoder may change, the bytes not.
TEST(row_codec, an_entry_is_laid_out_as_the_spool_format_states) {
  const std::string bytes = entries(1, 1);
  // Column 0 text "req-1", column 1 integer 1001, column 27 real 1.25, the rest null.
  const std::size_t payload = 2 + (1 + 4 + 5) + (1 + 8) + (1 + 8) + (k_column_count - 3);
  ASSERT_EQ(bytes.size(), 4 + 8 + payload);
  const auto u32_at = [&](std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + 4, 8);
  EXPECT_EQ(u32_at(0), payload);
  EXPECT_EQ(sum, XXH64(bytes.data() + 12, payload, 0));
  const std::string_view p = std::string_view(bytes).substr(12);
  std::uint16_t columns = 0;
  std::memcpy(&columns, p.data(), 2);
  EXPECT_EQ(columns, k_column_count);
  EXPECT_EQ(p[2], 3);  // text
  EXPECT_EQ(u32_at(12 + 3), 5u);
  EXPECT_EQ(p.substr(7, 5), "req-1");
  EXPECT_EQ(p[12], 1);  // integer
  std::int64_t i = 0;
  std::memcpy(&i, p.data() + 13, 8);
  EXPECT_EQ(i, 1001);
  for (std::size_t c = 2; c < 27; ++c) EXPECT_EQ(p[21 + (c - 2)], 0) << "column " << c;  // null
  EXPECT_EQ(p[46], 2);                                                                   // real
  double d = 0;
  std::memcpy(&d, p.data() + 47, 8);
  EXPECT_EQ(d, 1.25);
  for (std::size_t c = 28; c < k_column_count; ++c) EXPECT_EQ(p[55 + (c - 28)], 0) << "column " << c;
}

TEST(row_codec, a_flipped_byte_or_a_cut_stops_the_reader) {
  std::string bytes = entries(1, 3);
  const std::size_t one = bytes.size() / 3;
  std::string flipped = bytes;
  flipped[one + 20] ^= 0x40;  // inside the second entry's payload
  EXPECT_EQ(ids_in(flipped), (std::vector<std::string>{"req-1"}));
  entry_reader reader(flipped);
  row r;
  while (reader.next(r)) {
  }
  EXPECT_TRUE(reader.corrupt());
  EXPECT_EQ(reader.stopped_at(), one);
  EXPECT_EQ(ids_in(std::string_view(bytes).substr(0, bytes.size() - 1)), (std::vector<std::string>{"req-1", "req-2"}));
}

// What a spool chunk read relies on to find where its whole entries end:
// skip() stops where next() stops, at a flipped byte or a cut.
TEST(row_codec, skip_steps_over_whole_entries_and_stops_where_next_does) {
  const std::string bytes = entries(1, 3);
  const std::size_t one = bytes.size() / 3;
  entry_reader all(bytes);
  int skipped = 0;
  while (all.skip()) ++skipped;
  EXPECT_EQ(skipped, 3);
  EXPECT_FALSE(all.corrupt());
  EXPECT_EQ(all.stopped_at(), bytes.size());

  std::string flipped = bytes;
  flipped[one + 20] ^= 0x40;
  entry_reader bad(flipped);
  while (bad.skip()) {
  }
  EXPECT_TRUE(bad.corrupt());
  EXPECT_EQ(bad.stopped_at(), one);

  entry_reader cut(std::string_view(bytes).substr(0, bytes.size() - 1));
  while (cut.skip()) {
  }
  EXPECT_TRUE(cut.corrupt());
  EXPECT_EQ(cut.stopped_at(), 2 * one);
}

TEST(row_codec, verified_bytes_are_read_without_hashing_again_and_prefixes_cut_on_entries) {
  std::string bytes = entries(1, 3);
  const std::size_t one = bytes.size() / 3;
  bytes[4] ^= 0x01;  // the first entry's stored checksum: only a check would notice
  entry_reader checked(bytes);
  row r;
  EXPECT_FALSE(checked.next(r));
  entry_reader trusting(bytes, entry_reader::checksums::skip);
  int read = 0;
  while (trusting.next(r)) ++read;
  EXPECT_EQ(read, 3);
  EXPECT_EQ(entry_reader::prefix_bytes(bytes, 2), 2 * one);
  EXPECT_EQ(entry_reader::prefix_bytes(bytes, 9), bytes.size());
}

// A batch is cut into transactions of whole entries within a byte bound;
// an entry larger than the bound still goes, alone.
TEST(row_codec, a_batch_is_cut_at_whole_entries_within_a_size) {
  const std::string bytes = entries(1, 3);
  const std::size_t one = bytes.size() / 3;
  using cut = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(entry_reader::prefix_within(bytes, 2 * one), (cut{2 * one, 2}));
  EXPECT_EQ(entry_reader::prefix_within(bytes, 2 * one + one - 1), (cut{2 * one, 2}));
  EXPECT_EQ(entry_reader::prefix_within(bytes, 1), (cut{one, 1}));
  EXPECT_EQ(entry_reader::prefix_within(bytes, 1 << 20), (cut{bytes.size(), 3}));
  EXPECT_EQ(entry_reader::prefix_within(std::string_view(bytes).substr(0, one - 1), 1 << 20), (cut{0, 0}));
}

TEST(spool_file, replays_in_order_across_chunks_and_empties_itself) {
  temp_dir dir;
  auto f = spool_file::create(dir.path.string());
  ASSERT_TRUE(f.append(entries(1, 50)));
  ASSERT_TRUE(f.append(entries(51, 50)));
  EXPECT_FALSE(f.empty());
  const auto ids = replay(f, 700);  // a chunk holds a few entries and ends inside one
  ASSERT_EQ(ids.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ids[static_cast<std::size_t>(i)], "req-" + std::to_string(i + 1));
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(fs::file_size(f.path()), 0u);  // emptied, so it does not grow across outages
  ASSERT_TRUE(f.append(entries(101, 2)));
  EXPECT_EQ(replay(f, 1 << 20), (std::vector<std::string>{"req-101", "req-102"}));
}

TEST(spool_file, a_torn_tail_is_skipped_and_counted) {
  temp_dir dir;
  std::string path;
  {
    auto f = spool_file::create(dir.path.string());
    path = f.path();
    ASSERT_TRUE(f.append(entries(1, 3)));
  }
  // A process killed in the middle of a write: half an entry at the end.
  const std::string more = entries(4, 1);
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, more.data(), more.size() / 2), static_cast<ssize_t>(more.size() / 2));
    ::close(fd);
  }
  auto orphans = spool_file::claim_orphans(dir.path.string());
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(replay(orphans[0], 1 << 20), (std::vector<std::string>{"req-1", "req-2", "req-3"}));
  EXPECT_EQ(orphans[0].dropped_bytes(), more.size() / 2);
  EXPECT_TRUE(orphans[0].empty());
}

// A spool claimed from an ended process is checked entry by entry: a byte
// flipped inside its second entry (its size intact) ends the readable part
// there. The live process's own spool, appended whole by it, is read by
// entry sizes alone.
TEST(spool_file, a_claimed_spool_is_checked_by_checksum_and_our_own_by_size) {
  temp_dir dir;
  const std::string three = entries(1, 3);
  const std::size_t second = entry_reader::prefix_bytes(three, 1);
  std::string path;
  {
    auto f = spool_file::create(dir.path.string());
    path = f.path();
    ASSERT_TRUE(f.append(three));
    // Ours: the entries as appended, without hashing them again.
    std::string chunk;
    EXPECT_EQ(f.read_chunk(1 << 20, chunk), three.size());
  }
  {
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const char flipped = static_cast<char>(three[second + 20] ^ 0x01);
    ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(second + 20)), 1);
    ::close(fd);
  }
  auto orphans = spool_file::claim_orphans(dir.path.string());
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(replay(orphans[0], 1 << 20), (std::vector<std::string>{"req-1"}));
  EXPECT_EQ(orphans[0].dropped_bytes(), three.size() - second);
}

TEST(spool_file, a_live_process_keeps_its_spool_and_an_ended_one_leaves_it_to_the_next) {
  temp_dir dir;
  auto live = spool_file::create(dir.path.string());
  ASSERT_TRUE(live.append(entries(1, 1)));
  std::string ended_path;
  {
    auto ended = spool_file::create(dir.path.string());
    ASSERT_TRUE(ended.append(entries(2, 1)));
    ended_path = ended.path();
  }  // closed: its lock is gone, as when its process exits
  { auto empty = spool_file::create(dir.path.string()); }
  EXPECT_EQ(dir.spools().size(), 3u);
  auto orphans = spool_file::claim_orphans(dir.path.string());
  ASSERT_EQ(orphans.size(), 1u);  // not the live one; the empty one removed
  EXPECT_EQ(orphans[0].path(), ended_path);
  EXPECT_EQ(dir.spools().size(), 2u);
  // Claimed: another process starting now cannot take it too.
  EXPECT_TRUE(spool_file::claim_orphans(dir.path.string()).empty());
  orphans[0].remove();
  EXPECT_EQ(dir.spools(), std::vector<fs::path>{fs::path(live.path())});
}

}  // namespace
}  // namespace llmgw::usage
