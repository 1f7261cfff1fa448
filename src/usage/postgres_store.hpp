#pragma once
// The PostgreSQL usage database (DATABASE_URL), through libpq: migrations at
// connect under an advisory lock (gateways starting together apply each step
// once), then batched multi-row INSERT … ON CONFLICT DO NOTHING,
// every value a binary parameter. Connecting and each statement have a
// deadline of one second, so an unreachable or stalled server fails the call
// and the sink spools instead of holding the writer thread (whose queues
// hold about a second of records). The password never appears in describe() or an error: libpq's
// messages are scrubbed of it.
#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "usage/usage_store.hpp"

struct pg_conn;

namespace llmgw::usage {

class postgres_store final : public usage_store {
 public:
  // `url` is postgres:// or postgresql:// (checked by the config).
  explicit postgres_store(std::string url);
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  bool connect(std::string& error) override;
  insert_outcome insert(std::string_view entries, std::size_t rows, std::string& error) override;
  bool query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
             std::string& error) override;
  std::string describe() const override { return description_; }
  sql_dialect dialect() const override { return sql_dialect::postgres; }

  // Rows per INSERT statement (one transaction holds all of a batch).
  static constexpr std::size_t k_rows_per_statement = 500;

 private:
  bool exec(const std::string& sql, std::string& error);
  // Sends `sql` with the first `params` parameters of the buffers below and
  // waits for its results until the statement deadline.
  bool run(const char* sql, int params, std::string& error);
  // What run() sent: its results, until the statement deadline.
  bool await_results(std::string& error);
  // The batch as one binary COPY (usage/pg_copy.hpp).
  insert_outcome copy_in(std::string_view entries, std::size_t rows, std::string& error);
  // For await_results(), when the server asks for the COPY's rows: copy_data_.
  bool send_copy_stream(std::string& error);
  // The batch as multi-row INSERT … ON CONFLICT DO NOTHING statements.
  insert_outcome insert_skipping_stored(std::string_view entries, std::size_t rows, std::string& error);
  bool migrate(std::string& error);
  void disconnect();
  std::string scrub(std::string message) const;
  std::string fail(std::string_view what);  // the connection's error, scrubbed; disconnects

  std::string url_;
  std::string password_;  // to scrub from messages
  std::string description_;
  pg_conn* conn_ = nullptr;
  std::chrono::milliseconds timeout_{1000};  // connect, and each statement
  // Parameter buffers, reused from batch to batch.
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<unsigned> types_;
  std::vector<char> scalars_;            // 8 bytes per integer or real value, big-endian
  std::string sql_full_;                 // the k_rows_per_statement-row INSERT
  std::deque<std::string> text_copies_;  // texts changed for PostgreSQL (NUL bytes), this batch
  std::string last_value_;               // first value of the last query's result
  bool refused_ = false;                 // the last run() failed on the rows, not the database
  bool stored_row_ = false;              // ... on a row whose key is stored already
  std::string copy_sql_;
  std::string copy_stream_;                 // the batch being copied, reused
  const std::string* copy_data_ = nullptr;  // what a COPY the server starts gets
  std::vector<query_row>* rows_ = nullptr;  // query(): where run() puts every row
};

}  // namespace llmgw::usage
