#pragma once
// The embedded usage database: a SQLite file (usage.db by default). WAL
// journal, so readers never block the writer; a busy timeout instead of
// exclusive locks, so several gateways may share the file; one transaction
// per batch through prepared multi-row INSERT … ON CONFLICT DO NOTHING.
#include <chrono>
#include <memory>
#include <string>

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
  // About a hundred rows. The commit writes the transaction's pages to the
  // WAL in one call that cannot yield, on a core the gateway's workers may
  // share: while it runs, their requests wait. With 256 KB (some 800 rows)
  // those runs took 0.6 to 2 ms and were the longest waits of a worker at
  // 40k requests/s; with 32 KB, about 0.1 ms.
  std::size_t transaction_bytes() const override { return 32 * 1024; }

  // Rows per INSERT statement while a batch has that many left (fewer when
  // the library takes fewer parameters).
  static constexpr std::size_t k_rows_per_statement = 128;

 private:
  bool exec(const char* sql, std::string& error);
  bool migrate(std::string& error);
  void disconnect();
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;       // one row
  sqlite3_stmt* insert_many_ = nullptr;  // many_rows_ rows
  std::size_t many_rows_ = 1;
};

}  // namespace llmgw::usage
