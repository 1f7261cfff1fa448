#pragma once
// A usage database as the database sink sees it: connect (and migrate), and
// insert a batch of row entries (usage/row_codec.hpp) idempotently. SQLite
// (usage/sqlite_store.cpp) and PostgreSQL (usage/postgres_store.cpp).
// Writer thread only. Every call is bounded in time (busy timeout, connect
// and statement deadlines), so a slow database sends records to the spool
// instead of stalling the writer.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::usage {

// One row of a query's answer: each column as text; nullopt for NULL.
using query_row = std::vector<std::optional<std::string>>;

// What an insert came to. `failed`: the database could not be asked (down,
// slow, the connection lost): the same rows may go in later. `refused`: it
// answered and refused the rows themselves (a constraint, a value a column
// does not take): asked again, it would refuse them again.
enum class insert_outcome { inserted, failed, refused };

// Where the SQL of the two databases differs (placeholders, the key, how a
// time range is read).
enum class sql_dialect { sqlite, postgres };

class usage_store {
 public:
  virtual ~usage_store() = default;
  // Opens the connection if there is none and applies the migrations not yet
  // applied. False with `error` set (never holding a password) on failure.
  virtual bool connect(std::string& error) = 0;
  // Inserts `rows` entries, all or none; rows whose request_id is already
  // stored are skipped. On `failed` the connection is dropped (the next
  // connect() starts afresh); on `refused` it is kept, with nothing of the
  // batch stored. `error` says why either way.
  virtual insert_outcome insert(std::string_view entries, std::size_t rows, std::string& error) = 0;
  // How many bytes of spooled entries one insert() takes, so one
  // transaction. For a server database a commit is a round trip and a log
  // flush: a few hundred rows each, well inside a statement's deadline.
  virtual std::size_t transaction_bytes() const { return 256 * 1024; }
  // Runs one read-only statement (the usage API's, usage/usage_query.hpp)
  // within `timeout`. Not on the writer's store: the API opens its own.
  virtual bool query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
                     std::string& error) = 0;
  // "sqlite usage.db", "postgresql://user@host:5432/db" (no password).
  virtual std::string describe() const = 0;
  virtual sql_dialect dialect() const = 0;
};

}  // namespace llmgw::usage
