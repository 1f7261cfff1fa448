// The SQLite store's keys: every row's id is its record id (the rowid), a
// replay stores nothing twice, two requests whose ids collide are both
// stored, and a file made before schema version 5 is rebuilt that way.
#include "usage/sqlite_store.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::int64_t k_ms = 1796256000000;  // 2026-12-03T00:00:00Z

struct temp_file {
  fs::path path = fs::temp_directory_path() / ("sqlite_store_test_" + std::to_string(::getpid()) + ".db");
  temp_file() { clean(); }
  ~temp_file() { clean(); }
  void clean() const {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  }
};

// The first column of every row of `sql`, as text ("" for null).
std::vector<std::string> column(sqlite_store& store, const std::string& sql) {
  std::vector<query_row> rows;
  std::string error;
  EXPECT_TRUE(store.query(sql, 5000ms, rows, error)) << error;
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.at(0).value_or(""));
  return out;
}

std::int64_t number(sqlite_store& store, const std::string& sql) {
  const auto v = column(store, sql);
  return v.empty() ? -1 : std::stoll(v[0]);
}

// One row's entry: the columns a spool entry of any version carries, the
// id null when `id` is 0 (as schema versions before 5 wrote them).
void add_entry(std::string& entries, const std::string& request_id, std::int64_t started_at, std::int64_t id = 0) {
  row r;
  const auto set_text = [&](std::string_view name, std::string_view s) {
    r[column_index(name)].null = false;
    r[column_index(name)].s = s;
  };
  const auto set_int = [&](std::string_view name, std::int64_t i) {
    r[column_index(name)].null = false;
    r[column_index(name)].i = i;
  };
  set_text("request_id", request_id);
  set_int("started_at", started_at);
  set_text("endpoint", "chat/completions");
  set_text("client_api", "openai");
  set_int("status", 200);
  set_int("stream", 0);
  set_text("cache_status", "none");
  set_int("attempts", 1);
  set_int("fallback", 0);
  set_int("tokens_estimated", 0);
  for (std::string_view name : {"latency_ms", "upstream_ms", "overhead_ms"}) {
    r[column_index(name)].null = false;
    r[column_index(name)].d = 1;
  }
  if (id != 0) set_int("id", id);
  append_entry(r, entries);
}

insert_outcome insert(sqlite_store& store, const std::string& entries) {
  std::string error;
  const insert_outcome out = store.insert(entries, entry_reader::count(entries), error);
  EXPECT_NE(out, insert_outcome::failed) << error;
  return out;
}

TEST(sqlite_store, rows_are_keyed_by_their_record_id_alone) {
  temp_file f;
  sqlite_store store(f.path.string());
  std::string entries;
  for (int i = 0; i < 100; ++i) add_entry(entries, "req-" + std::to_string(i), k_ms + i % 7);
  ASSERT_EQ(insert(store, entries), insert_outcome::inserted);
  // The table's own B-tree is the only one: no index to insert into.
  EXPECT_EQ(column(store, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records'"),
            std::vector<std::string>{});
  EXPECT_EQ(number(store, "SELECT pk FROM pragma_table_info('usage_records') WHERE name = 'id'"), 1);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), 100);
  for (int i = 0; i < 100; i += 9) {
    const std::string id = "req-" + std::to_string(i);
    EXPECT_EQ(number(store, "SELECT id FROM usage_records WHERE request_id = '" + id + "'"),
              record_id(k_ms + i % 7, id));
  }
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records WHERE id >> 20 != started_at"), 0);
  // Inserted again, as a spool replayed after a crash would be: nothing twice.
  ASSERT_EQ(insert(store, entries), insert_outcome::inserted);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), 100);
}

// Two requests of one millisecond whose hashes agree (given the same id
// here): both are stored, the second at the next free id, and replaying
// either, in any order, stores nothing more.
TEST(sqlite_store, rows_whose_ids_collide_are_both_stored_and_a_replay_of_either_is_not) {
  temp_file f;
  sqlite_store store(f.path.string());
  const std::int64_t id = record_id(k_ms, "req-a");
  std::string both;
  add_entry(both, "req-a", k_ms, id);
  add_entry(both, "req-b", k_ms, id);
  add_entry(both, "req-c", k_ms + 1);
  ASSERT_EQ(insert(store, both), insert_outcome::inserted);
  EXPECT_EQ(column(store, "SELECT request_id FROM usage_records ORDER BY id"),
            (std::vector<std::string>{"req-a", "req-b", "req-c"}));
  EXPECT_EQ(number(store, "SELECT id FROM usage_records WHERE request_id = 'req-b'"), record_id_probe(id, 1));
  std::string again;
  add_entry(again, "req-b", k_ms, id);
  add_entry(again, "req-a", k_ms, id);
  ASSERT_EQ(insert(store, again), insert_outcome::inserted);
  ASSERT_EQ(insert(store, both), insert_outcome::inserted);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), 3);
}

// The WAL is checkpointed every 250 pages, not SQLite's 1,000: a checkpoint
// runs inside a commit on the workers' core, and its length is a stall.
TEST(sqlite_store, the_wal_is_checkpointed_in_small_steps) {
  temp_file f;
  sqlite_store store(f.path.string());
  EXPECT_EQ(column(store, "PRAGMA wal_autocheckpoint"), std::vector<std::string>{"250"});
  EXPECT_EQ(column(store, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

// A new row's id counts up within its millisecond: rows go in at the
// table's right end.
TEST(sqlite_store, new_rows_of_one_millisecond_get_consecutive_ids) {
  const std::int64_t a = new_record_id(k_ms);
  const std::int64_t b = new_record_id(k_ms);
  EXPECT_EQ(a >> k_record_id_shift, k_ms);
  EXPECT_EQ(b, record_id_probe(a, 1));
  request_record r;
  r.path = "/v1/chat/completions";
  r.request_id = "req-1";
  r.ended = std::chrono::system_clock::time_point(std::chrono::milliseconds(k_ms + 5));
  r.latency_ms = 5;
  row out;
  ASSERT_TRUE(fill_row(r, out));
  EXPECT_EQ(out[column_index("id")].i >> k_record_id_shift, k_ms);
  EXPECT_EQ(out[column_index("id")].i, record_id_probe(b, 1));
}

// The probes stay in the row's millisecond: the id's time part never moves.
TEST(sqlite_store, probes_wrap_inside_the_millisecond) {
  const std::int64_t last = first_record_id(k_ms + 1) - 1;
  EXPECT_EQ(record_id_probe(last, 0), last);
  EXPECT_EQ(record_id_probe(last, 1), first_record_id(k_ms));
  EXPECT_EQ(record_id_probe(last, 2) >> k_record_id_shift, k_ms);
  EXPECT_EQ(record_id(k_ms, "x") >> k_record_id_shift, k_ms);
  EXPECT_EQ(first_record_id(k_ms) >> k_record_id_shift, k_ms);
}

// A row whose id does not hold its started_at (by hand, or a corrupt
// entry) is refused, not stored where the usage API's id range misses it.
TEST(sqlite_store, a_row_whose_id_is_not_its_time_is_refused) {
  temp_file f;
  sqlite_store store(f.path.string());
  std::string entries;
  add_entry(entries, "req-a", k_ms, record_id(k_ms + 1, "req-a"));
  EXPECT_EQ(insert(store, entries), insert_outcome::refused);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), 0);
}

// A file as schema version 4 left it: the key (started_at, request_id), an
// index and a trigger an operator added (named on stderr as they go), many rows in one millisecond (so some hashes
// agree). Version 5 keeps every row, gives each the id a replay of it
// computes, and a replay of the old spool (entries without an id) after the
// upgrade stores nothing twice.
TEST(sqlite_store, an_older_file_is_rebuilt_with_record_ids_and_keeps_every_row) {
  temp_file f;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(f.path.c_str(), &db), SQLITE_OK);
  const auto run = [&](const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db) << ": " << sql;
  };
  run(std::string(k_migrations_table));
  for (const migration& m : migrations()) {
    if (m.version > 4) break;
    for (std::string_view s : m.statements) run(std::string(s));
    run("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 'v', 0)");
  }
  run("CREATE INDEX usage_records_key_started_at ON usage_records (key_name, started_at)");
  run("CREATE TRIGGER refuse_poison BEFORE INSERT ON usage_records WHEN NEW.user_id = 'poison' "
      "BEGIN SELECT RAISE(ABORT, 'poison refused'); END");
  constexpr int k_rows = 6000;
  std::string spool;
  run("BEGIN");
  for (int i = 0; i < k_rows; ++i) {
    const std::string id = "req-" + std::to_string(i);
    const std::int64_t at = i < 5000 ? k_ms : k_ms + i;
    run("INSERT INTO usage_records (request_id, started_at, endpoint, client_api, status, stream, cache_status, "
        "attempts, fallback, tokens_estimated, latency_ms, upstream_ms, overhead_ms, prompt_tokens) VALUES ('" +
        id + "', " + std::to_string(at) + ", 'chat/completions', 'openai', 200, 0, 'none', 1, 0, 0, 1, 1, 0, " +
        std::to_string(i) + ")");
    add_entry(spool, id, at);
  }
  run("COMMIT");
  sqlite3_close(db);

  sqlite_store store(f.path.string());
  std::string error;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(store.connect(error)) << error;
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("giving the 6000 rows of"), std::string::npos) << said;
  EXPECT_NE(said.find("dropped with the old table: "), std::string::npos) << said;
  EXPECT_NE(said.find("index usage_records_key_started_at"), std::string::npos) << said;
  EXPECT_NE(said.find("trigger refuse_poison"), std::string::npos) << said;
  EXPECT_EQ(number(store, "SELECT max(version) FROM schema_migrations"), 5);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), k_rows);
  EXPECT_EQ(number(store, "SELECT sum(prompt_tokens) FROM usage_records"), std::int64_t{k_rows} * (k_rows - 1) / 2);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records WHERE id >> 20 != started_at"), 0);
  EXPECT_EQ(column(store, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records'"),
            std::vector<std::string>{});
  // Some of the 5,000 rows of one millisecond took a probe: the test covers
  // the collisions it is about.
  std::vector<query_row> rows;
  ASSERT_TRUE(store.query("SELECT request_id, id FROM usage_records WHERE started_at = " + std::to_string(k_ms), 5000ms,
                          rows, error))
      << error;
  ASSERT_EQ(rows.size(), 5000u);
  std::int64_t probed = 0;
  for (const auto& r : rows) probed += std::stoll(r.at(1).value_or("0")) != record_id(k_ms, r.at(0).value_or(""));
  EXPECT_GT(probed, 0);
  ASSERT_EQ(insert(store, spool), insert_outcome::inserted);
  EXPECT_EQ(number(store, "SELECT count(*) FROM usage_records"), k_rows);
}

}  // namespace
}  // namespace llmgw::usage
