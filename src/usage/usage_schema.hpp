#pragma once
// The usage database's schema, in one place: the table `usage_records` (one
// row per request to a model endpoint), its versioned migrations, and how
// each column is derived from a request_record. The SQLite and the
// PostgreSQL sinks run the same DDL and the same INSERT; only the
// placeholder syntax differs. Column names are an interface (operators
// query them; README "Usage records"): add columns, never rename one.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "usage/request_record.hpp"
#include "usage/usage_store.hpp"

namespace llmgw::usage {

// What a column holds. Booleans are BOOLEAN in both databases (SQLite
// stores 0/1, and `WHERE stream` reads the same in both).
enum class column_type : std::uint8_t { text, integer, real, boolean };

struct column {
  std::string_view name;
  column_type type;
};

// The columns of usage_records, in INSERT order.
inline constexpr column k_columns[] = {
    {"request_id", column_type::text},
    {"started_at", column_type::integer},  // Unix time in milliseconds (UTC)
    {"key_id", column_type::text},
    {"key_name", column_type::text},
    {"team", column_type::text},
    {"endpoint", column_type::text},
    {"client_api", column_type::text},
    {"model_requested", column_type::text},
    {"provider", column_type::text},
    {"model_served", column_type::text},
    {"status", column_type::integer},
    {"error_type", column_type::text},
    {"stream", column_type::boolean},
    {"cache_status", column_type::text},
    {"attempts", column_type::integer},
    {"fallback", column_type::boolean},
    {"prompt_tokens", column_type::integer},
    {"completion_tokens", column_type::integer},
    {"cached_tokens", column_type::integer},
    {"cache_write_tokens", column_type::integer},
    {"reasoning_tokens", column_type::integer},
    {"tokens_estimated", column_type::boolean},
    {"cost_usd", column_type::real},
    {"cost_input_usd", column_type::real},
    {"cost_cached_input_usd", column_type::real},
    {"cost_cache_write_usd", column_type::real},
    {"cost_output_usd", column_type::real},
    {"latency_ms", column_type::real},
    {"ttft_ms", column_type::real},
    {"upstream_ms", column_type::real},
    {"overhead_ms", column_type::real},
    {"user_id", column_type::text},
    {"metadata", column_type::text},              // the client's metadata object as JSON (schema version 2)
    {"hedged", column_type::boolean},             // a hedge fired (version 3; null in rows written before)
    {"hedge_loser_cost_usd", column_type::real},  // what the cancelled attempt cost, when its vendor said (version 3)
    {"id", column_type::integer},                 // new_record_id() (version 5; SQLite's rowid)
};
inline constexpr std::size_t k_column_count = std::size(k_columns);

// The position of the column named `name` in k_columns; k_column_count when
// there is none.
constexpr std::size_t column_index(std::string_view name) {
  for (std::size_t c = 0; c < k_column_count; ++c) {
    if (k_columns[c].name == name) return c;
  }
  return k_column_count;
}

// One column's value. Text views the record (or a decoded spool entry).
struct value {
  bool null = true;
  std::int64_t i = 0;  // integer and boolean columns
  double d = 0;        // real columns
  std::string_view s;  // text columns
};
using row = std::array<value, k_column_count>;

// The model endpoint a path names — "chat/completions", "embeddings",
// "messages", "messages/count_tokens" — with or without /v1 and a query;
// empty for every other path (health, metrics, model lists, the usage API),
// which gets no row.
std::string_view endpoint_of(std::string_view path);

// The derived values, one function each so the tests can name them.
std::int64_t started_at_ms(const request_record& r);  // ended − latency
double upstream_ms(const request_record& r);          // Σ attempts' total_ms
double overhead_ms(const request_record& r);          // latency − upstream, never below 0
bool served_by_fallback(const request_record& r);     // the answering attempt was not the first

// A row's id: started_at × 2^20 plus 20 low bits, so ids follow time and
// id >> 20 is started_at. In SQLite it is the rowid: the table's own B-tree
// is the only one a row goes into (a second, unique index on (started_at,
// request_id) was a fifth of SQLite's CPU per row), and a time range is a
// range of ids. The id is given once, when the record becomes a row, and
// travels with it through the spool, so a replayed row meets itself.
inline constexpr int k_record_id_shift = 20;
// A new row's id: the low bits count this process's rows (from a random
// start, so two gateways sharing a file rarely meet), so the rows of one
// millisecond go in at the table's right end, as rows of later ones do;
// low bits from a hash put each row of a millisecond in the middle of the
// last page and split pages half full (18% more CPU per row, measured).
std::int64_t new_record_id(std::int64_t started_at_ms);
// The id of a row that has none: one stored, or spooled, before schema
// version 5. The same row always gets the same one.
std::int64_t record_id(std::int64_t started_at_ms, std::string_view request_id);
// Two rows of one millisecond may still meet (another gateway's count, a
// hash): the second takes the first free probe, and a replay of it walks
// the same probes until it finds itself.
// The k-th id tried for a row whose id `id` holds another request's row (k
// = 0 is `id`): the same millisecond, the next low bits, wrapping.
std::int64_t record_id_probe(std::int64_t id, std::uint32_t k);
// The first id of millisecond `ms` (clamped at the ends of the range):
// ids of [from, to) are [first_record_id(from), first_record_id(to)).
std::int64_t first_record_id(std::int64_t ms);

// Fills `out` from `r` (text views `r`); false when the request gets no row.
bool fill_row(const request_record& r, row& out);

// How SQLite applies a step: its statements, or a step it cannot write in
// SQL, in code (a table rebuilt with values computed per row).
enum class sqlite_step : std::uint8_t { statements, add_record_ids };

// One step of the schema. Versions only grow; an applied step never changes.
struct migration {
  int version;
  std::string_view name;
  std::span<const std::string_view> statements;  // run in order, in one transaction
  sqlite_step sqlite = sqlite_step::statements;
};
std::span<const migration> migrations();

// SQLite's usage_records from version 5 (see new_record_id()): the columns of
// versions 1 to 3 as they were declared, then the id as the rowid, checked
// to hold started_at (the usage API reads a time range as a range of ids,
// so a row inserted by hand without its id is refused, not lost to it).
// Made under this name, filled, then renamed over the old table.
inline constexpr std::string_view k_sqlite_v5_table =
    "CREATE TABLE usage_records_v5 ("
    "request_id TEXT NOT NULL, started_at BIGINT NOT NULL, key_id TEXT, key_name TEXT, team TEXT, "
    "endpoint TEXT NOT NULL, client_api TEXT NOT NULL, model_requested TEXT, provider TEXT, model_served TEXT, "
    "status BIGINT NOT NULL, error_type TEXT, stream BOOLEAN NOT NULL, cache_status TEXT NOT NULL, "
    "attempts BIGINT NOT NULL, fallback BOOLEAN NOT NULL, prompt_tokens BIGINT, completion_tokens BIGINT, "
    "cached_tokens BIGINT, cache_write_tokens BIGINT, reasoning_tokens BIGINT, tokens_estimated BOOLEAN NOT NULL, "
    "cost_usd DOUBLE PRECISION, cost_input_usd DOUBLE PRECISION, cost_cached_input_usd DOUBLE PRECISION, "
    "cost_cache_write_usd DOUBLE PRECISION, cost_output_usd DOUBLE PRECISION, latency_ms DOUBLE PRECISION NOT NULL, "
    "ttft_ms DOUBLE PRECISION, upstream_ms DOUBLE PRECISION NOT NULL, overhead_ms DOUBLE PRECISION NOT NULL, "
    "user_id TEXT, metadata TEXT, hedged BOOLEAN, hedge_loser_cost_usd DOUBLE PRECISION, id INTEGER PRIMARY KEY, "
    "CHECK (id >> 20 = started_at))";

// CREATE TABLE IF NOT EXISTS for the version table both databases keep.
inline constexpr std::string_view k_migrations_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";

// INSERT INTO usage_records (...) VALUES (...), ... ON CONFLICT (...) DO
// NOTHING, for `rows` rows: `?` placeholders for SQLite (numbered in
// order), `$NNN` for PostgreSQL. The key makes a replayed row a no-op: (started_at,
// request_id) in PostgreSQL, the id in SQLite (whose store then settles
// rows the statement skipped: a replay, or a hash twin of the same
// millisecond).
std::string insert_sql(sql_dialect dialect, std::size_t rows);

}  // namespace llmgw::usage
