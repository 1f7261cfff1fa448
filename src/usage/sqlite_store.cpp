#include "usage/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {

namespace {

// Before the library's first use in the process: SQLite's memory statistics
// take a global mutex on every allocation, and an insert allocates several
// times per row (about 9% of the writer's time per row, measured). Nothing
// here reads them. Later calls (or a library already initialised) are
// refused harmlessly.
void configure_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

sqlite_store::sqlite_store(std::string path, std::chrono::milliseconds busy_timeout)
    : path_(std::move(path)), busy_timeout_(busy_timeout) {}

sqlite_store::~sqlite_store() { disconnect(); }

void sqlite_store::disconnect() {
  for (sqlite3_stmt* stmt : inserts_) {
    if (stmt != nullptr) sqlite3_finalize(stmt);
  }
  inserts_.clear();
  if (id_holder_ != nullptr) sqlite3_finalize(id_holder_);
  id_holder_ = nullptr;
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

bool sqlite_store::exec(const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error = message != nullptr ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return false;
}

bool sqlite_store::query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
                         std::string& error) {
  if (!connect(error)) return false;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    return false;
  }
  // A query past its time is interrupted, as a statement timeout would.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sqlite3_progress_handler(
      db_, 10000,
      [](void* d) { return std::chrono::steady_clock::now() > *static_cast<decltype(deadline)*>(d) ? 1 : 0; },
      const_cast<void*>(static_cast<const void*>(&deadline)));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    query_row row;
    const int n = sqlite3_column_count(stmt);
    for (int i = 0; i < n; ++i) {
      if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if (rc != SQLITE_DONE) error = rc == SQLITE_INTERRUPT ? "the query took too long" : sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE;
}

bool sqlite_store::connect(std::string& error) {
  if (db_ != nullptr) return true;
  configure_library_once();
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    error = "cannot open: " + std::string(db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory");
    disconnect();
    return false;
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
  // WAL: readers (operators' queries, other gateways) do not block the
  // writer. NORMAL: a commit is not fsync'd (the WAL is at checkpoints), so
  // a batch costs no disk flush; an OS crash may lose the last commits, a
  // process crash loses none.
  // Checkpoints of 1 MiB of WAL (250 pages) instead of SQLite's 4 MiB: a
  // checkpoint runs inside a commit, on the core the workers share, and
  // copying 1,000 pages held a worker off it for 2 to 3 ms about four times
  // a second at 40k requests/s; at 250 pages no run of this thread passed
  // 1 ms, and the requests' p99 fell 11%, for about 5% more of its CPU per
  // row (perf sched and the CPU of each thread, two runs each).
  if (!exec("PRAGMA journal_mode=WAL", error) || !exec("PRAGMA synchronous=NORMAL", error) ||
      !exec("PRAGMA wal_autocheckpoint=250", error) || !migrate(error)) {
    disconnect();
    return false;
  }
  // Older builds of SQLite take fewer parameters per statement (999).
  const auto most = static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1)) / k_column_count;
  many_rows_ = std::max<std::size_t>(1, std::min(k_rows_per_statement, most));
  inserts_.assign(many_rows_ + 1, nullptr);
  return true;
}

sqlite3_stmt* sqlite_store::insert_of(std::size_t rows, std::string& error) {
  sqlite3_stmt*& stmt = inserts_[rows];
  if (stmt != nullptr) return stmt;
  const std::string sql = insert_sql(sql_dialect::sqlite, rows);
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    error = "cannot prepare the insert: " + std::string(sqlite3_errmsg(db_));
    stmt = nullptr;
  }
  return stmt;
}

bool sqlite_store::migrate(std::string& error) {
  // BEGIN IMMEDIATE takes the write lock first: two gateways starting at
  // once apply each step once, the second sees it applied.
  if (!exec("BEGIN IMMEDIATE", error)) return false;
  if (!exec(std::string(k_migrations_table).c_str(), error)) {
    exec("ROLLBACK", error);
    return false;
  }
  int current = 0;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &q, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    current = sqlite3_column_int(q, 0);
  }
  sqlite3_finalize(q);
  for (const migration& m : migrations()) {
    if (m.version <= current) continue;
    bool ok = true;
    switch (m.sqlite) {
      case sqlite_step::statements:
        for (std::string_view stmt : m.statements) ok = ok && exec(std::string(stmt).c_str(), error);
        break;
      case sqlite_step::add_record_ids:
        ok = add_record_ids(error);
        break;
    }
    const std::string record = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                               std::to_string(m.version) + ", '" + std::string(m.name) + "', " +
                               std::to_string(now_ms()) + ")";
    if (!ok || !exec(record.c_str(), error)) {
      std::string ignored;
      exec("ROLLBACK", ignored);
      error = "migration " + std::to_string(m.version) + " failed: " + error;
      return false;
    }
  }
  return exec("COMMIT", error);
}

bool sqlite_store::add_record_ids(std::string& error) {
  // Every row gets the id a replay of its spooled entry (which has none)
  // would settle on: record_id(), or the first probe free of the other rows
  // of its millisecond, walked in (started_at, request_id) order (the old
  // key's, so no sort).
  if (!exec(std::string(k_sqlite_v5_table).c_str(), error)) return false;
  // The gateway waits for it, and the old table's own indexes and triggers
  // (an operator's) go with it: say so.
  sqlite3_stmt* about = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT (SELECT count(*) FROM usage_records), (SELECT group_concat(type || ' ' || name, ', ') "
                         "FROM sqlite_master WHERE tbl_name = 'usage_records' AND type IN ('index', 'trigger') AND "
                         "sql IS NOT NULL)",
                         -1, &about, nullptr) == SQLITE_OK &&
      sqlite3_step(about) == SQLITE_ROW) {
    const auto* dropped = reinterpret_cast<const char*>(sqlite3_column_text(about, 1));
    if (sqlite3_column_int64(about, 0) > 0 || dropped != nullptr) {
      std::fprintf(stderr, "llmgw: usage: schema version 5: giving the %lld rows of %s their ids (once)%s%s\n",
                   static_cast<long long>(sqlite3_column_int64(about, 0)), path_.c_str(),
                   dropped != nullptr ? "; dropped with the old table: " : "", dropped != nullptr ? dropped : "");
    }
  }
  sqlite3_finalize(about);
  std::string columns;
  for (std::size_t c = 0; c + 1 < k_column_count; ++c) {
    columns += k_columns[c].name;
    columns += ", ";
  }
  const std::string copy =
      "INSERT INTO usage_records_v5 (" + columns + "id) SELECT " + columns + "?2 FROM usage_records WHERE rowid = ?1";
  sqlite3_stmt* scan = nullptr;
  sqlite3_stmt* insert = nullptr;
  bool ok = sqlite3_prepare_v2(db_,
                               "SELECT rowid, started_at, request_id FROM usage_records ORDER BY started_at, "
                               "request_id",
                               -1, &scan, nullptr) == SQLITE_OK &&
            sqlite3_prepare_v2(db_, copy.c_str(), static_cast<int>(copy.size()), &insert, nullptr) == SQLITE_OK;
  std::unordered_set<std::int64_t> taken;  // ids of the current millisecond
  std::int64_t millisecond = 0;
  int rc = SQLITE_ROW;
  while (ok && (rc = sqlite3_step(scan)) == SQLITE_ROW) {
    const std::int64_t ms = sqlite3_column_int64(scan, 1);
    if (taken.empty() || ms != millisecond) {
      taken.clear();
      millisecond = ms;
    }
    const auto* id_text = reinterpret_cast<const char*>(sqlite3_column_text(scan, 2));
    const std::int64_t id =
        record_id(ms, std::string_view(id_text, static_cast<std::size_t>(sqlite3_column_bytes(scan, 2))));
    std::uint32_t k = 0;
    while (taken.contains(record_id_probe(id, k))) ++k;
    taken.insert(record_id_probe(id, k));
    sqlite3_bind_int64(insert, 1, sqlite3_column_int64(scan, 0));
    sqlite3_bind_int64(insert, 2, record_id_probe(id, k));
    ok = sqlite3_step(insert) == SQLITE_DONE;
    sqlite3_reset(insert);
  }
  ok = ok && rc == SQLITE_DONE;
  if (!ok) error = sqlite3_errmsg(db_);
  sqlite3_finalize(scan);
  sqlite3_finalize(insert);
  return ok && exec("DROP TABLE usage_records", error) &&
         exec("ALTER TABLE usage_records_v5 RENAME TO usage_records", error);
}

namespace {

constexpr std::size_t k_id_column = column_index("id");
constexpr std::size_t k_request_id_column = column_index("request_id");
constexpr std::size_t k_started_at_column = column_index("started_at");

// Result codes that judge the row, not the database: a constraint (NOT NULL,
// CHECK, a trigger's RAISE(ABORT)), a value out of range or too big.
bool refuses_the_row(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return true;
    default:
      return false;
  }
}

// Binds one row's values to parameters first+1… of `stmt` (text is not
// copied: the entry outlives the step).
void bind_row(sqlite3_stmt* stmt, int first, const row& r) {
  for (std::size_t c = 0; c < k_column_count; ++c) {
    const value& v = r[c];
    const int i = first + static_cast<int>(c) + 1;
    if (v.null) {
      sqlite3_bind_null(stmt, i);
      continue;
    }
    switch (k_columns[c].type) {
      case column_type::integer:
      case column_type::boolean:
        sqlite3_bind_int64(stmt, i, v.i);
        break;
      case column_type::real:
        sqlite3_bind_double(stmt, i, v.d);
        break;
      case column_type::text:
        sqlite3_bind_text(stmt, i, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
        break;
    }
  }
}

// The next entry, with the id a row spooled before schema version 5 lacks.
bool read_row(entry_reader& reader, row& r) {
  if (!reader.next(r)) return false;
  value& id = r[k_id_column];
  if (id.null) {
    id.null = false;
    id.i = record_id(r[k_started_at_column].i, r[k_request_id_column].s);
  }
  return true;
}

}  // namespace

int sqlite_store::settle_skipped(entry_reader rows, std::size_t count) {
  if (id_holder_ == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, "SELECT request_id FROM usage_records WHERE id = ?1", -1,
                                      SQLITE_PREPARE_PERSISTENT, &id_holder_, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  std::string ignored;  // the caller reports the database's message
  sqlite3_stmt* one = insert_of(1, ignored);
  if (one == nullptr) return SQLITE_ERROR;
  row r;
  for (std::size_t n = 0; n < count && read_row(rows, r); ++n) {
    const std::int64_t id = r[k_id_column].i;
    const std::string_view request_id = r[k_request_id_column].s;
    // Probes in order until this request's row or a free id: the row is
    // then stored once, at the id every replay of it will find.
    for (std::uint32_t k = 0;; ++k) {
      if (k > (1u << k_record_id_shift)) return SQLITE_CONSTRAINT;  // 2^20 rows in one millisecond
      const std::int64_t probe = record_id_probe(id, k);
      sqlite3_bind_int64(id_holder_, 1, probe);
      const int found = sqlite3_step(id_holder_);
      const bool ours = found == SQLITE_ROW &&
                        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(id_holder_, 0)),
                                         static_cast<std::size_t>(sqlite3_column_bytes(id_holder_, 0))) == request_id;
      sqlite3_reset(id_holder_);
      if (found != SQLITE_ROW && found != SQLITE_DONE) return found;
      if (ours) break;
      if (found == SQLITE_ROW) continue;
      r[k_id_column].i = probe;
      bind_row(one, 0, r);
      const int rc = sqlite3_step(one);
      sqlite3_reset(one);
      if (rc != SQLITE_DONE) return rc;
      break;
    }
  }
  return SQLITE_DONE;
}

insert_outcome sqlite_store::insert(std::string_view entries, std::size_t rows, std::string& error) {
  if (db_ == nullptr && !connect(error)) return insert_outcome::failed;
  if (!exec("BEGIN IMMEDIATE", error)) {
    disconnect();
    return insert_outcome::failed;
  }
  // Rolls back; the connection stays only when the rows were refused.
  const auto abandon = [&](bool refused) {
    std::string ignored;
    if (exec("ROLLBACK", ignored) && refused) return insert_outcome::refused;
    disconnect();
    return insert_outcome::failed;
  };
  // Statements of many_rows_ rows while the batch has that many left, then
  // one of the rest (a statement's fixed cost — cursors opened on the table
  // and its key's index, each seek from the root — spread over its rows:
  // 16% less CPU per row than one row per statement, measured).
  entry_reader reader(entries, entry_reader::checksums::skip);  // cut to whole entries by read_chunk
  row r;
  std::size_t left = rows;
  int rc = SQLITE_DONE;
  while (rc == SQLITE_DONE && left > 0) {
    const std::size_t take = std::min(left, many_rows_);
    sqlite3_stmt* stmt = insert_of(take, error);
    if (stmt == nullptr) return abandon(false);
    const entry_reader statement_rows = reader;
    for (std::size_t k = 0; k < take; ++k) {
      if (!read_row(reader, r)) {
        // Never from our own batches or a checked spool chunk; refused, so
        // the sink parts it from the good rows.
        error = "insert failed: an entry of the batch is corrupt";
        return abandon(true);
      }
      bind_row(stmt, static_cast<int>(k * k_column_count), r);
    }
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    // Fewer rows than given: an id was taken, by this very row (a replay)
    // or by another request's of the same millisecond.
    if (rc == SQLITE_DONE && static_cast<std::size_t>(sqlite3_changes(db_)) < take) {
      rc = settle_skipped(statement_rows, take);
    }
    left -= take;
  }
  if (rc != SQLITE_DONE) {
    error = "insert failed: " + std::string(sqlite3_errmsg(db_));
    return abandon(refuses_the_row(rc));
  }
  if (!exec("COMMIT", error)) return abandon(false);
  // A transaction is a fraction of a millisecond of CPU; the gateway's
  // workers may share this core, and a request that waits for several in a
  // row shows in the tail latency. Yielding after each statement instead
  // starved the inserter on a busy core (7k rows/s inserted at 40k
  // requests/s, the rest left in the spool until the load stopped).
  std::this_thread::yield();
  return insert_outcome::inserted;
}

}  // namespace llmgw::usage
