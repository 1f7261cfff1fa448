#include "usage/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "usage/pg_copy.hpp"
#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {

namespace {

using clock = std::chrono::steady_clock;

// Type OIDs of the binary parameters (pg_type.dat: fixed since forever).
constexpr unsigned k_bool_oid = 16;
constexpr unsigned k_int8_oid = 20;
constexpr unsigned k_text_oid = 25;
constexpr unsigned k_float8_oid = 701;

// Any fixed number: gateways migrating at once queue on this lock.
constexpr std::int64_t k_migration_lock = 0x6c6c6d67775f7531;  // "llmgw_u1"

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A stored key met again (a COPY has no ON CONFLICT).
bool is_unique_violation(const char* sqlstate) { return sqlstate != nullptr && std::strcmp(sqlstate, "23505") == 0; }

// SQLSTATE classes that judge the row, not the database: 22 data exception
// (a value a column does not take), 23 integrity constraint violation (NOT
// NULL, CHECK, a trigger's refusal).
bool refuses_the_row(const char* sqlstate) {
  return sqlstate != nullptr && (std::strncmp(sqlstate, "22", 2) == 0 || std::strncmp(sqlstate, "23", 2) == 0);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

postgres_store::postgres_store(std::string url) : url_(std::move(url)) {
  std::string user, host, port, dbname;
  char* err = nullptr;
  if (PQconninfoOption* opts = PQconninfoParse(url_.c_str(), &err)) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      const std::string_view k = o->keyword;
      if (k == "password") password_ = o->val;
      if (k == "user") user = o->val;
      if (k == "host") host = o->val;
      if (k == "hostaddr" && host.empty()) host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") dbname = o->val;
    }
    PQconninfoFree(opts);
  }
  if (err != nullptr) PQfreemem(err);
  description_ = "postgresql://" + (user.empty() ? "" : user + "@") + (host.empty() ? "localhost" : host) +
                 (port.empty() ? "" : ":" + port) + "/" + dbname;
  sql_full_ = insert_sql(sql_dialect::postgres, k_rows_per_statement);
  copy_sql_ = copy_sql();
}

postgres_store::~postgres_store() { disconnect(); }

void postgres_store::disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

std::string postgres_store::scrub(std::string message) const {
  if (!password_.empty()) {
    for (std::size_t at = message.find(password_); at != std::string::npos; at = message.find(password_, at)) {
      message.replace(at, password_.size(), "***");
      at += 3;
    }
  }
  return trim(std::move(message));
}

std::string postgres_store::fail(std::string_view what) {
  std::string message = std::string(what);
  if (conn_ != nullptr) {
    const char* e = PQerrorMessage(conn_);
    if (e != nullptr && *e != '\0') message += ": " + scrub(e);
  }
  disconnect();
  return message;
}

namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

}  // namespace

bool postgres_store::connect(std::string& error) {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return true;
  disconnect();
  // expand_dbname: the URL is parsed as a whole; the keywords after it add
  // what it does not say. Connected without blocking, so the deadline is
  // ours (libpq's connect_timeout cannot go below 2 s); only a host name's
  // lookup may block.
  const char* keys[] = {"dbname", "application_name", nullptr};
  const char* values[] = {url_.c_str(), "llmgw", nullptr};
  conn_ = PQconnectStartParams(keys, values, 1);
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    error = fail("cannot connect");
    return false;
  }
  const auto deadline = clock::now() + timeout_;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) {
      error = fail("cannot connect");
      return false;
    }
    if (!wait_for(PQsocket(conn_), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) {
      disconnect();
      error = "cannot connect within " + std::to_string(timeout_.count()) + " ms";
      return false;
    }
    st = PQconnectPoll(conn_);
  }
  PQsetnonblocking(conn_, 1);
  // Notices ("relation already exists, skipping") are not for the log.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  if (!migrate(error)) {
    disconnect();
    return false;
  }
  return true;
}

bool postgres_store::exec(const std::string& sql, std::string& error) { return run(sql.c_str(), 0, error); }

bool postgres_store::run(const char* sql, int params, std::string& error) {
  refused_ = false;
  stored_row_ = false;
  // Binary parameters from the reused buffers (none when `params` is 0).
  if (PQsendQueryParams(conn_, sql, params, params ? types_.data() : nullptr, params ? values_.data() : nullptr,
                        params ? lengths_.data() : nullptr, params ? formats_.data() : nullptr, 0) == 0) {
    error = fail("cannot send");
    return false;
  }
  return await_results(error);
}

bool postgres_store::await_results(std::string& error) {
  const auto deadline = clock::now() + timeout_;
  const int fd = PQsocket(conn_);
  const auto wait = [&](short events) { return wait_for(fd, events, deadline); };
  for (;;) {
    const int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) {
      error = fail("cannot send");
      return false;
    }
    if (!wait(POLLIN | POLLOUT)) {
      error = fail("no answer in time");
      return false;
    }
    if (PQconsumeInput(conn_) == 0) {
      error = fail("connection lost");
      return false;
    }
  }
  bool ok = true;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      if (!wait(POLLIN)) {
        error = "no answer within " + std::to_string(timeout_.count()) + " ms";
        disconnect();
        return false;
      }
      if (PQconsumeInput(conn_) == 0) {
        error = fail("connection lost");
        return false;
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    const auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN) {
      PQclear(r);
      if (!send_copy_stream(error)) return false;
      continue;
    }
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (ok) {
        error = scrub(PQresultErrorMessage(r));
        const char* sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        refused_ = refuses_the_row(sqlstate);
        stored_row_ = is_unique_violation(sqlstate);
      }
      ok = false;
    } else if (status == PGRES_TUPLES_OK && rows_ != nullptr) {
      for (int i = 0; i < PQntuples(r); ++i) {
        query_row row;
        for (int j = 0; j < PQnfields(r); ++j) {
          if (PQgetisnull(r, i, j)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::string(PQgetvalue(r, i, j), static_cast<std::size_t>(PQgetlength(r, i, j))));
          }
        }
        rows_->push_back(std::move(row));
      }
    } else if (status == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) {
      last_value_ = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  // The server rolled the statement back. A refusal leaves the session
  // sound (insert() rolls back the transaction around it); anything else
  // may not, so the next call starts clean.
  if (!ok && !refused_) disconnect();
  return ok;
}

bool postgres_store::query(const std::string& sql, std::chrono::milliseconds timeout, std::vector<query_row>& rows,
                           std::string& error) {
  if (!connect(error)) return false;
  const auto saved = timeout_;
  timeout_ = timeout;
  rows_ = &rows;
  const bool ok = run(sql.c_str(), 0, error);
  rows_ = nullptr;
  timeout_ = saved;
  return ok;
}

bool postgres_store::migrate(std::string& error) {
  if (!exec("BEGIN", error)) return false;
  if (!exec("SELECT pg_advisory_xact_lock(" + std::to_string(k_migration_lock) + ")", error) ||
      !exec(std::string(k_migrations_table), error)) {
    return false;
  }
  last_value_.clear();
  if (!exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", error)) return false;
  const int current = last_value_.empty() ? 0 : std::stoi(last_value_);
  for (const migration& m : migrations()) {
    if (m.version <= current) continue;
    for (std::string_view stmt : m.statements) {
      if (!exec(std::string(stmt), error)) {
        error = "migration " + std::to_string(m.version) + " failed: " + error;
        return false;
      }
    }
    if (!exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + std::to_string(m.version) + ", '" +
                  std::string(m.name) + "', " + std::to_string(now_ms()) + ")",
              error)) {
      return false;
    }
  }
  return exec("COMMIT", error);
}

bool postgres_store::send_copy_stream(std::string& error) {
  const auto deadline = clock::now() + timeout_;
  const int fd = PQsocket(conn_);
  // Each step returns 0 while libpq's buffer is full: wait until the socket
  // takes more (reading what the server sends meanwhile).
  const auto until_sent = [&](auto step) {
    for (;;) {
      const int rc = step();
      if (rc == 1) return true;
      if (rc < 0) {
        error = fail("cannot send");
        return false;
      }
      if (!wait_for(fd, POLLIN | POLLOUT, deadline)) {
        error = fail("no answer in time");
        return false;
      }
      if (PQconsumeInput(conn_) == 0) {
        error = fail("connection lost");
        return false;
      }
    }
  };
  // A COPY nobody asked for (never from this store) ends with an error instead of rows.
  const std::string* data = copy_data_;
  copy_data_ = nullptr;
  if (data != nullptr &&
      !until_sent([&] { return PQputCopyData(conn_, data->data(), static_cast<int>(data->size())); })) {
    return false;
  }
  if (!until_sent([&] { return PQputCopyEnd(conn_, data != nullptr ? nullptr : "unexpected COPY"); })) return false;
  return until_sent([&] {
    const int f = PQflush(conn_);
    return f == 0 ? 1 : f < 0 ? -1 : 0;
  });
}

insert_outcome postgres_store::copy_in(std::string_view entries, std::size_t rows, std::string& error) {
  if (!connect(error)) return insert_outcome::failed;
  copy_stream_.clear();
  if (!append_copy_stream(entries, rows, copy_stream_)) {
    error = "insert failed: an entry of the batch is corrupt";
    refused_ = true;
    stored_row_ = false;
    return insert_outcome::refused;
  }
  copy_data_ = &copy_stream_;
  const bool ok = run(copy_sql_.c_str(), 0, error);
  copy_data_ = nullptr;
  if (ok) return insert_outcome::inserted;
  return refused_ ? insert_outcome::refused : insert_outcome::failed;
}

insert_outcome postgres_store::insert(std::string_view entries, std::size_t rows, std::string& error) {
  // One binary COPY first: the database's CPU per row is about 4 µs where
  // multi-row INSERT … ON CONFLICT statements cost 10 (prepared) to 22
  // (parsed each time), measured replaying 195k rows. A COPY cannot skip a
  // stored key, and one is rare: a replay after a failure whose commit may
  // have gone through. Then the COPY fails whole, and the batch goes in
  // again through the INSERTs, which skip stored rows.
  const insert_outcome copied = copy_in(entries, rows, error);
  if (copied != insert_outcome::refused || !stored_row_) return copied;
  return insert_skipping_stored(entries, rows, error);
}

insert_outcome postgres_store::insert_skipping_stored(std::string_view entries, std::size_t rows, std::string& error) {
  if (!connect(error)) return insert_outcome::failed;
  const bool several = rows > k_rows_per_statement;
  if (several && !exec("BEGIN", error)) return insert_outcome::failed;
  // A statement failed: a refused row leaves the connection up, and the
  // transaction around several statements is rolled back.
  const auto outcome_of_failure = [&]() {
    if (!refused_) return insert_outcome::failed;
    std::string ignored;
    if (several && !exec("ROLLBACK", ignored)) {
      disconnect();
      return insert_outcome::failed;
    }
    return insert_outcome::refused;
  };
  entry_reader reader(entries, entry_reader::checksums::skip);  // cut to whole entries by read_chunk
  row r;
  std::size_t in_statement = 0;
  const auto send = [&]() {
    const std::string partial =
        in_statement == k_rows_per_statement ? std::string() : insert_sql(sql_dialect::postgres, in_statement);
    const bool ok = run(partial.empty() ? sql_full_.c_str() : partial.c_str(),
                        static_cast<int>(in_statement * k_column_count), error);
    in_statement = 0;
    return ok;
  };
  const std::size_t per_statement = k_rows_per_statement * k_column_count;
  if (values_.size() < per_statement) {
    values_.resize(per_statement);
    lengths_.resize(per_statement);
    formats_.assign(per_statement, 1);
    types_.resize(per_statement);
    scalars_.resize(per_statement * 8);
    for (std::size_t i = 0; i < per_statement; ++i) {
      switch (k_columns[i % k_column_count].type) {
        case column_type::integer:
          types_[i] = k_int8_oid;
          break;
        case column_type::boolean:
          types_[i] = k_bool_oid;
          break;
        case column_type::real:
          types_[i] = k_float8_oid;
          break;
        case column_type::text:
          types_[i] = k_text_oid;
          break;
      }
    }
  }
  text_copies_.clear();
  while (reader.next(r)) {
    for (std::size_t c = 0; c < k_column_count; ++c) {
      const std::size_t i = in_statement * k_column_count + c;
      const value& v = r[c];
      char* scalar = scalars_.data() + i * 8;
      if (v.null) {
        values_[i] = nullptr;
        lengths_[i] = 0;
        continue;
      }
      switch (k_columns[c].type) {
        case column_type::integer:
          put_be(scalar, static_cast<std::uint64_t>(v.i));
          values_[i] = scalar;
          lengths_[i] = 8;
          break;
        case column_type::boolean:
          scalar[0] = v.i != 0 ? 1 : 0;
          values_[i] = scalar;
          lengths_[i] = 1;
          break;
        case column_type::real:
          put_be(scalar, std::bit_cast<std::uint64_t>(v.d));
          values_[i] = scalar;
          lengths_[i] = 8;
          break;
        case column_type::text:
          if (v.s.find('\0') != std::string_view::npos) {
            std::string& copy = text_copies_.emplace_back(v.s);
            replace_nul_bytes(copy.data(), copy.data() + copy.size());
            values_[i] = copy.data();
          } else {
            values_[i] = v.s.data();
          }
          lengths_[i] = static_cast<int>(v.s.size());
          break;
      }
    }
    if (++in_statement == k_rows_per_statement && !send()) return outcome_of_failure();
  }
  if (in_statement > 0 && !send()) return outcome_of_failure();
  if (several && !exec("COMMIT", error)) return outcome_of_failure();
  return insert_outcome::inserted;
}

}  // namespace llmgw::usage
