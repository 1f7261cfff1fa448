#pragma once
// The embedded usage database: a SQLite file (usage.db by default). WAL
// journal, so readers never block the writer; a busy timeout instead of
// exclusive locks, so several gateways may share the file; one transaction
// per batch through prepared multi-row INSERT … ON CONFLICT (id) DO NOTHING.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "usage/row_codec.hpp"
#include "usage/usage_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace llmgw::usage {

class sqlite_store final : public usage_store {
 public:
  explicit sqlite_store(std::string path, std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(2000));
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  bool connect(std::string& error) override;
  insert_outcome insert(std::string_view entries, std::size_t rows, std::string& error) override;
  bool query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
             std::string& error) override;
  std::string describe() const override { return "sqlite " + path_; }
  sql_dialect dialect() const override { return sql_dialect::sqlite; }
  // About 240 rows. The transaction runs on a core the gateway's workers may
  // share: while it runs, their requests wait. 256 KB (some 900 rows) made
  // runs of 0.6 to 2 ms, the longest waits of a worker at 40k requests/s.
  // Each commit has a fixed cost (locks, the B-tree's inner pages written
  // again, a write per page): 32 KB cost 11% more of the inserter's CPU per
  // row than 64 KB (2.84 against 2.53 µs, six interleaved runs), for no
  // better p99 once checkpoints were cut to 250 pages (3.18 against 3.11 ms).
  std::size_t transaction_bytes() const override { return 64 * 1024; }

  // Rows per INSERT statement while a batch has that many left; the rest go
  // in one statement of their own count (fewer rows per statement when the
  // library takes fewer parameters).
  static constexpr std::size_t k_rows_per_statement = 32;

 private:
  bool exec(const char* sql, std::string& error);
  bool migrate(std::string& error);
  void disconnect();
  // The INSERT of `rows` rows (1 to many_rows_), prepared on first use.
  sqlite3_stmt* insert_of(std::size_t rows, std::string& error);
  // After a statement stored fewer of its `count` rows than it was given:
  // each row whose id holds another request's row goes in at its first free
  // probe (usage/usage_schema.hpp, new_record_id). An SQLite result code.
  int settle_skipped(entry_reader rows, std::size_t count);
  // Migration 5: the table rebuilt with record ids as rowids.
  bool add_record_ids(std::string& error);
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> inserts_;  // by row count; null until first used
  sqlite3_stmt* id_holder_ = nullptr;   // SELECT request_id … WHERE id = ?, prepared on first use
  std::size_t many_rows_ = 1;
};

}  // namespace llmgw::usage
