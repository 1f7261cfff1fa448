#include "usage/database_sink.hpp"

#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <xxhash.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/test_threads.hpp"
#include "usage/row_codec.hpp"
#include "usage/sqlite_store.hpp"

namespace llmgw::usage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/llmgw-sink-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::size_t spools() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(path)) n += e.path().filename().string().starts_with("usage-spool-");
    return n;
  }
};

// A SQLite store that a test can take down and bring back.
struct switchable {  // set by the test, read by the sink's inserter thread
  std::atomic<bool> down{false};
  std::atomic<int> connects{0};
  std::atomic<int> insert_ms{0};  // each insert takes this long: a slow database
  std::atomic<int> inserts{0};
  std::atomic<std::size_t> largest_insert_bytes{0};
};

class switchable_store final : public usage_store {
 public:
  switchable_store(std::string path, switchable& s) : inner_(std::move(path)), s_(s) {}
  bool connect(std::string& error) override {
    ++s_.connects;
    if (s_.down) {
      error = "down for the test";
      return false;
    }
    return inner_.connect(error);
  }
  insert_outcome insert(std::string_view entries, std::size_t rows, std::string& error) override {
    if (s_.down) {
      error = "down for the test";
      return insert_outcome::failed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(s_.insert_ms.load()));
    ++s_.inserts;
    if (entries.size() > s_.largest_insert_bytes) s_.largest_insert_bytes = entries.size();
    return inner_.insert(entries, rows, error);
  }
  std::size_t transaction_bytes() const override { return inner_.transaction_bytes(); }
  bool query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
             std::string& error) override {
    return inner_.query(sql, timeout, rows, error);
  }
  std::string describe() const override { return inner_.describe(); }
  sql_dialect dialect() const override { return inner_.dialect(); }

 private:
  sqlite_store inner_;
  switchable& s_;
};

// Record i starts i ms after the first: the table's order (its rowid, the
// record id, follows started_at) is then the order of i.
request_record record(int i, std::string_view path = "/v1/chat/completions") {
  static const auto first = std::chrono::system_clock::now();
  request_record r;
  r.ended = first + std::chrono::milliseconds(i);
  r.request_id = "req-" + std::to_string(i);
  r.path = path;
  r.client_api = "openai";
  r.status = 200;
  r.latency_ms = 5;
  r.prompt_tokens = i;
  return r;
}

// Request ids in the table's (rowid) order, and one column's text for one id.
std::vector<std::string> ids_in(const fs::path& db) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(h, "SELECT request_id FROM usage_records ORDER BY rowid", -1, &q, nullptr) == SQLITE_OK) {
    while (sqlite3_step(q) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
  }
  sqlite3_finalize(q);
  sqlite3_close(h);
  return out;
}

std::vector<std::string> expected_ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back("req-" + std::to_string(i));
  return out;
}

// Until everything handed over is in: a try that began while the database
// was still down may fail once more after it is back.
bool settled(database_sink& sink) {
  for (int i = 0; i < 50; ++i) {
    if (sink.wait_idle(200ms)) return true;
  }
  return false;
}

database_sink_options fast(const temp_dir& dir) {
  database_sink_options o;
  o.spool_dir = dir.path.string();
  o.min_backoff = 1ms;
  o.max_backoff = 1ms;
  o.batch_interval = 0ms;  // every flush() writes
  return o;
}

TEST(database_sink, a_batch_waits_for_its_interval_or_its_size) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  database_sink_options o = fast(dir);
  o.batch_interval = 50ms;
  o.max_batch_rows = 10;
  database_sink sink(std::make_unique<sqlite_store>(db.string()), o);
  sink.add(record(1));
  sink.flush();
  sink.tick();
  EXPECT_EQ(ids_in(db), std::vector<std::string>{});  // one transaction for many writer wakes
  std::this_thread::sleep_for(60ms);
  sink.tick();
  EXPECT_TRUE(sink.wait_idle());
  EXPECT_EQ(ids_in(db), expected_ids(1, 1));
  for (int i = 2; i <= 11; ++i) sink.add(record(i));
  sink.flush();  // 10 rows: written at once
  EXPECT_TRUE(sink.wait_idle());
  EXPECT_EQ(ids_in(db), expected_ids(1, 11));
}

// The inserter shares a core with the request workers: a background thread
// (core/background_thread.hpp), named for /proc and top -H.
TEST(database_sink, inserts_on_a_named_batch_scheduled_thread) {
  temp_dir dir;
  database_sink sink(std::make_unique<sqlite_store>((dir.path / "usage.db").string()), fast(dir));
  EXPECT_EQ(policies_once_named("llmgw-inserter"), std::vector<int>{SCHED_BATCH});
}

// (A replayed entry stored once: sqlite_store_test.cpp, and the spool
// replays below.)
TEST(database_sink, one_row_per_model_request) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  {
    database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));
    sink.add(record(1));
    sink.add(record(2, "/v1/embeddings"));
    sink.add(record(3, "/health"));  // not a model endpoint: no row
    sink.add(record(4, "/v1/models"));
    sink.flush();
    EXPECT_TRUE(sink.wait_idle());
    sink.add(record(5, "/v1/messages"));
    sink.flush();
    EXPECT_TRUE(sink.wait_idle());
    EXPECT_EQ(sink.rows_spooled(), 0u);
    EXPECT_EQ(ids_in(db), (std::vector<std::string>{"req-1", "req-2", "req-5"}));
  }
  EXPECT_EQ(dir.spools(), 0u);  // an empty spool is removed at close
}

// Until the batch the inserter had in memory when the database failed is in
// the spool (it is appended after the failure is signalled).
bool spooled_what_failed(database_sink& sink) {
  for (int i = 0; i < 500 && sink.spool_empty(); ++i) std::this_thread::sleep_for(1ms);
  return !sink.spool_empty();
}

TEST(database_sink, an_outage_goes_to_the_spool_and_is_replayed_in_order_before_newer_rows) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable sw;
  database_sink sink(std::make_unique<switchable_store>(db.string(), sw), fast(dir));
  sink.add(record(1));
  sink.flush();
  EXPECT_TRUE(sink.wait_idle());
  sw.down = true;
  sink.add(record(2));
  sink.flush();
  EXPECT_FALSE(sink.wait_idle());          // the inserter sees the outage…
  EXPECT_TRUE(spooled_what_failed(sink));  // …and spools the batch it had in memory
  for (int i = 3; i <= 40; ++i) {
    sink.add(record(i));
    if (i % 7 == 0) sink.flush();
  }
  sink.flush();
  // 2…40: 2 was handed over in memory and spooled when its insert failed,
  // 3…40 appended once the sink knew the database was down.
  EXPECT_EQ(sink.rows_spooled(), 39u);
  EXPECT_FALSE(sink.spool_empty());
  EXPECT_EQ(ids_in(db), expected_ids(1, 1));
  sw.down = false;
  // The inserter tries again once its backoff ends: the spool goes in
  // oldest first, and the next batch after it.
  sink.add(record(41));
  sink.flush();
  EXPECT_TRUE(settled(sink));
  EXPECT_TRUE(sink.spool_empty());
  EXPECT_EQ(ids_in(db), expected_ids(1, 41));
}

// Runs `sql` on the file as an operator's own connection would.
void run_sql(const fs::path& db, const char* sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(h, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  sqlite3_close(h);
}

// A rule the database enforces on the rows, as an operator may add: any
// row whose user is "poison" is refused (SQLite's RAISE(ABORT) is a constraint error).
void refuse_poison(const fs::path& db) {
  run_sql(db,
          "CREATE TRIGGER refuse_poison BEFORE INSERT ON usage_records "
          "WHEN NEW.user_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END");
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(database_sink, a_refused_row_is_set_aside_and_the_rest_of_its_batch_goes_in) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));  // creates the table
  refuse_poison(db);
  // 300 rows: two multi-row statements, then single rows; refused rows in
  // the first statement, the second, and the single-row tail.
  const auto poisoned = [](int i) { return i == 7 || i == 131 || i == 290; };
  for (int i = 1; i <= 300; ++i) {
    request_record r = record(i);
    if (poisoned(i)) r.user_id = "poison";
    sink.add(r);
  }
  sink.flush();
  EXPECT_TRUE(sink.wait_idle());
  std::vector<std::string> want;
  for (int i = 1; i <= 300; ++i) {
    if (!poisoned(i)) want.push_back("req-" + std::to_string(i));
  }
  EXPECT_EQ(ids_in(db), want);
  EXPECT_EQ(sink.rows_inserted(), 297u);
  EXPECT_EQ(sink.rows_rejected(), 3u);
  EXPECT_EQ(sink.rows_spooled(), 0u);
  EXPECT_TRUE(sink.spool_empty());
  const auto set_aside = lines_of(sink.rejected_path());
  ASSERT_EQ(set_aside.size(), 3u);
  EXPECT_NE(set_aside[0].find("\"request_id\":\"req-7\""), std::string::npos) << set_aside[0];
  EXPECT_NE(set_aside[0].find("\"user_id\":\"poison\""), std::string::npos) << set_aside[0];
  EXPECT_NE(set_aside[0].find("poison refused"), std::string::npos) << set_aside[0];
  EXPECT_NE(set_aside[1].find("\"request_id\":\"req-131\""), std::string::npos) << set_aside[1];
  EXPECT_NE(set_aside[2].find("\"request_id\":\"req-290\""), std::string::npos) << set_aside[2];
  // Later rows are not held behind them.
  sink.add(record(301));
  sink.flush();
  EXPECT_TRUE(sink.wait_idle());
  EXPECT_EQ(ids_in(db).back(), "req-301");
}

TEST(database_sink, a_batch_of_many_rows_is_stored_whole_and_in_order) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));
  // Multi-row statements and the statement of the rest, at every boundary.
  const int sizes[] = {1, 31, 32, 33, 64, 100, 300};
  int next = 1;
  for (int n : sizes) {
    for (int k = 0; k < n; ++k) sink.add(record(next++));
    sink.flush();
    EXPECT_TRUE(sink.wait_idle());  // each batch its own insert
  }
  EXPECT_EQ(ids_in(db), expected_ids(1, next - 1));
  EXPECT_EQ(sink.rows_inserted(), static_cast<std::uint64_t>(next - 1));
}

// A SQLite commit writes its pages in one call on a core the gateway's
// workers share: a large spool goes in as many small transactions.
TEST(database_sink, a_sqlite_spool_goes_in_as_transactions_of_a_few_hundred_rows) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable s;
  database_sink sink(std::make_unique<switchable_store>(db.string(), s), fast(dir));
  const int rows = 2000;
  for (int i = 1; i <= rows; ++i) sink.add(record(i));
  sink.flush();
  ASSERT_TRUE(settled(sink));
  EXPECT_EQ(ids_in(db), expected_ids(1, rows));
  EXPECT_LE(s.largest_insert_bytes.load(), std::size_t{64 * 1024});
  EXPECT_GE(s.inserts.load(), 6);  // 2000 rows of some 270 bytes: about 9
}

// Pins the calling thread, and the threads it starts while this lives, to
// its first allowed core; restores its cores when done.
struct pinned_to_one_core {
  cpu_set_t all{};
  bool ok = false;
  pinned_to_one_core() {
    if (::sched_getaffinity(0, sizeof all, &all) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &all)) {
        CPU_SET(c, &one);
        break;
      }
    }
    ok = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~pinned_to_one_core() {
    if (ok) ::sched_setaffinity(0, sizeof all, &all);
  }
  pinned_to_one_core(const pinned_to_one_core&) = delete;
  pinned_to_one_core& operator=(const pinned_to_one_core&) = delete;
};

// On a core a busy worker keeps running, the inserter still keeps up: it
// gives the core back between transactions, not between statements (each
// time it gives it back it waits out the worker's time slice).
TEST(database_sink, the_inserter_keeps_up_on_a_core_a_busy_thread_shares) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  // Threads started from here on (the inserter, the busy one) share one core.
  const pinned_to_one_core pinned;
  ASSERT_TRUE(pinned.ok);
  std::atomic<bool> done{false};
  {
    database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));
    std::thread busy([&] {
      while (!done.load(std::memory_order_relaxed)) {
      }
    });
    const int rows = 6000;
    for (int i = 1; i <= rows; ++i) sink.add(record(i));
    sink.flush();
    const auto t0 = std::chrono::steady_clock::now();
    const bool in = sink.wait_idle(3000ms);
    const auto took = std::chrono::steady_clock::now() - t0;
    done = true;
    busy.join();
    EXPECT_TRUE(in) << "6000 rows not in after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                    << " ms";
    EXPECT_TRUE(settled(sink));
  }
  EXPECT_EQ(ids_in(db).size(), 6000u);
}

// The store itself, without the sink's halving (which would hide a wrong
// multi-row statement behind single-row retries): every row of a batch
// that spans multi-row statements goes in with its own values.
TEST(sqlite_store, a_batch_spanning_multi_row_statements_goes_in_whole) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  sqlite_store store(db.string());
  std::string entries;
  row r;
  for (int i = 1; i <= 300; ++i) {
    const request_record rec = record(i);  // the row views its text
    ASSERT_TRUE(fill_row(rec, r));
    append_entry(r, entries);
  }
  std::string error;
  ASSERT_EQ(store.insert(entries, 300, error), insert_outcome::inserted) << error;
  EXPECT_EQ(ids_in(db), expected_ids(1, 300));
  std::vector<query_row> rows;
  ASSERT_TRUE(
      store.query("SELECT request_id, prompt_tokens FROM usage_records WHERE request_id IN "
                  "('req-1', 'req-32', 'req-33', 'req-290', 'req-300') ORDER BY prompt_tokens",
                  1000ms, rows, error))
      << error;
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& row : rows) EXPECT_EQ("req-" + *row[1], *row[0]);
}

TEST(database_sink, a_refused_row_in_the_spool_does_not_block_its_replay) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable sw;
  database_sink sink(std::make_unique<switchable_store>(db.string(), sw), fast(dir));
  refuse_poison(db);
  sw.down = true;
  for (int i = 1; i <= 5; ++i) {
    request_record r = record(i);
    if (i == 2) r.user_id = "poison";
    sink.add(r);
  }
  sink.flush();
  EXPECT_FALSE(sink.wait_idle());
  EXPECT_FALSE(sink.database_up());
  sw.down = false;
  EXPECT_TRUE(settled(sink));
  EXPECT_TRUE(sink.spool_empty());
  EXPECT_EQ(ids_in(db), (std::vector<std::string>{"req-1", "req-3", "req-4", "req-5"}));
  EXPECT_EQ(sink.rows_rejected(), 1u);
}

// A spool chunk is cut on whole entries by their sizes and checksums only
// (spool_file::read_chunk): an entry whose checksum holds but whose values
// do not decode, which only a bug could write, reaches the store, which
// refuses it; halving finds it, it is counted lost (there is no row to set
// aside) and the rest of its chunk goes in.
TEST(database_sink, a_spooled_entry_that_passes_its_checksum_but_does_not_decode_is_counted_lost) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  std::string bytes;
  for (int i = 1; i <= 3; ++i) {
    const request_record rec = record(i);
    row r;
    ASSERT_TRUE(fill_row(rec, r));
    std::string entry;
    append_entry(r, entry);
    if (i == 2) {
      constexpr std::size_t k_payload = 4 + 8;  // u32 size, u64 checksum
      entry[k_payload + 2] = 1;                 // request_id's kind: integer, not text
      const std::uint64_t sum = XXH64(entry.data() + k_payload, entry.size() - k_payload, 0);
      std::memcpy(entry.data() + 4, &sum, sizeof sum);
    }
    bytes += entry;
  }
  {
    std::ofstream out(dir.path / "usage-spool-left-by-a-bug.bin", std::ios::binary);
    out << bytes;
  }
  database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));
  EXPECT_TRUE(settled(sink));
  EXPECT_TRUE(sink.spool_empty());
  EXPECT_EQ(ids_in(db), (std::vector<std::string>{"req-1", "req-3"}));
  EXPECT_EQ(sink.rows_lost(), 1u);
  EXPECT_EQ(sink.rows_rejected(), 0u);
}

TEST(database_sink, a_row_as_json_keeps_every_column_and_kind) {
  request_record r = record(3);
  r.user_id = "a \"quoted\" user";
  row out;
  ASSERT_TRUE(fill_row(r, out));
  out[0].s = "req-3";
  std::string json;
  append_row_json(out, json);
  EXPECT_TRUE(json.starts_with("{\"request_id\":\"req-3\",\"started_at\":")) << json;
  EXPECT_NE(json.find("\"user_id\":\"a \\\"quoted\\\" user\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"stream\":false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"prompt_tokens\":3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cost_usd\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"latency_ms\":5"), std::string::npos) << json;
}

TEST(database_sink, a_slow_database_never_holds_up_the_writer) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable sw;
  sw.insert_ms = 100;
  database_sink sink(std::make_unique<switchable_store>(db.string(), sw), fast(dir));
  // 20 batches, each of which the database takes 100 ms to insert: the
  // writer hands them over and goes back to its queues at once (waiting on
  // the inserts, 2 s here, is what filled the queues and dropped records).
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 200; ++i) {
    sink.add(record(i));
    if (i % 10 == 0) {
      sink.flush();
      sink.tick();
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  // The first batch went over in memory; the rest waited in the spool while it went in.
  EXPECT_FALSE(sink.spool_empty());
  EXPECT_EQ(sink.rows_spooled(), 0u);  // the database was up all along: only slow
  EXPECT_TRUE(sink.wait_idle(10s));
  EXPECT_EQ(ids_in(db), expected_ids(1, 200));
}

// A database that keeps up gets each batch in memory: the spool file is
// never written (no disk write, no read back, per batch).
TEST(database_sink, a_database_that_keeps_up_gets_batches_without_the_spool) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  database_sink sink(std::make_unique<sqlite_store>(db.string()), fast(dir));
  const auto made = fs::last_write_time(sink.spool_path());
  for (int i = 1; i <= 50; ++i) {
    sink.add(record(i));
    if (i % 10 == 0) {
      sink.flush();
      EXPECT_TRUE(sink.wait_idle());
    }
  }
  EXPECT_EQ(ids_in(db), expected_ids(1, 50));
  EXPECT_EQ(fs::last_write_time(sink.spool_path()), made);  // neither written nor emptied
  EXPECT_EQ(sink.rows_spooled(), 0u);
}

TEST(database_sink, reconnects_back_off_while_the_database_is_down) {
  temp_dir dir;
  switchable sw;
  sw.down = true;
  database_sink_options o = fast(dir);
  o.min_backoff = 50ms;
  o.max_backoff = 1000ms;
  database_sink sink(std::make_unique<switchable_store>((dir.path / "u.db").string(), sw), o);
  sink.add(record(1));
  sink.flush();
  EXPECT_FALSE(sink.wait_idle());
  const int before = sw.connects;
  for (int i = 0; i < 50; ++i) {
    sink.tick();
    std::this_thread::sleep_for(1ms);
  }
  // 50 ticks over ~50 ms: at most one or two tries at a 50 ms backoff.
  EXPECT_LE(sw.connects - before, 2);
}

TEST(database_sink, a_stop_while_down_leaves_the_spool_to_the_next_start) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable sw;
  {
    database_sink sink(std::make_unique<switchable_store>(db.string(), sw), fast(dir));
    sw.down = true;
    for (int i = 1; i <= 5; ++i) sink.add(record(i));
    sink.close();  // SIGTERM with the database unreachable: the batch goes to the spool
  }
  EXPECT_EQ(dir.spools(), 1u);
  EXPECT_EQ(ids_in(db), std::vector<std::string>{});
  sw.down = false;
  {
    database_sink next(std::make_unique<switchable_store>(db.string(), sw), fast(dir));
    EXPECT_EQ(ids_in(db), expected_ids(1, 5));  // claimed and replayed at start
    next.add(record(6));
    next.close();
  }
  EXPECT_EQ(ids_in(db), expected_ids(1, 6));
  EXPECT_EQ(dir.spools(), 0u);
}

TEST(database_sink, close_sends_the_spool_to_a_database_that_is_back_whatever_the_backoff) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  switchable sw;
  database_sink_options o = fast(dir);
  o.min_backoff = o.max_backoff = 60s;  // no retry before close()
  {
    database_sink sink(std::make_unique<switchable_store>(db.string(), sw), o);
    sw.down = true;
    for (int i = 1; i <= 3; ++i) sink.add(record(i));
    sink.flush();
    EXPECT_FALSE(sink.wait_idle());  // the inserter saw it fail: 60 s before it tries again
    EXPECT_FALSE(sink.database_up());
    EXPECT_TRUE(spooled_what_failed(sink));
    sw.down = false;
    sink.add(record(4));
    sink.flush();                        // behind the spool, and the backoff has not run out
    EXPECT_EQ(sink.rows_spooled(), 4u);  // 1…3 spooled when their insert failed, 4 as the database was known down
    sink.tick();
    EXPECT_EQ(ids_in(db), std::vector<std::string>{});
    sink.close();  // SIGTERM
  }
  EXPECT_EQ(ids_in(db), expected_ids(1, 4));
  EXPECT_EQ(dir.spools(), 0u);
}

TEST(database_sink, two_processes_share_a_sqlite_file) {
  temp_dir dir;
  const fs::path db = dir.path / "usage.db";
  database_sink a(std::make_unique<sqlite_store>(db.string()), fast(dir));
  database_sink b(std::make_unique<sqlite_store>(db.string()), fast(dir));
  for (int i = 1; i <= 200; ++i) {
    (i % 2 ? a : b).add(record(i));
    if (i % 10 == 0) {
      a.flush();
      b.flush();
    }
  }
  EXPECT_TRUE(a.wait_idle());
  EXPECT_TRUE(b.wait_idle());
  EXPECT_EQ(a.rows_spooled() + b.rows_spooled(), 0u);
  EXPECT_EQ(ids_in(db).size(), 200u);
}

}  // namespace
}  // namespace llmgw::usage
