#pragma once
// A usage database as the database sink sees it: connect (and migrate), and
// insert a batch of row entries (usage/row_codec.hpp) idempotently. SQLite
// (usage/sqlite_store.cpp) and PostgreSQL (usage/postgres_store.cpp).
// Writer thread only. Every call is bounded in time (busy timeout, connect
// and statement deadlines), so a slow database sends records to the spool
// instead of stalling the writer.
#include <cstddef>
#include <string>
#include <string_view>

namespace llmgw::usage {

class usage_store {
 public:
  virtual ~usage_store() = default;
  // Opens the connection if there is none and applies the migrations not yet
  // applied. False with `error` set (never holding a password) on failure.
  virtual bool connect(std::string& error) = 0;
  // Inserts `rows` entries, all or none; rows whose request_id is already
  // stored are skipped. False with `error` on failure (the connection is
  // dropped, so the next connect() starts afresh).
  virtual bool insert(std::string_view entries, std::size_t rows, std::string& error) = 0;
  // "sqlite usage.db", "postgresql://user@host:5432/db" (no password).
  virtual std::string describe() const = 0;
};

}  // namespace llmgw::usage
