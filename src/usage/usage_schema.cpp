#include "usage/usage_schema.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include <xxhash.h>

namespace llmgw::usage {

namespace {

// Version 1. Types both databases understand alike: BIGINT, DOUBLE
// PRECISION, TEXT, BOOLEAN (SQLite maps them to its affinities). Times are
// Unix milliseconds, so a time-range query or a GROUP BY day/hour is the
// same integer arithmetic in both.
//
// The key is (started_at, request_id), not request_id alone: request ids are
// random, so a unique index on them alone puts every insert on a different
// index page, and SQLite's WAL writes each touched page whole at commit (about
// 4 KiB per row, which made the writer thread a third of the gateway's CPU).
// Keyed by time first, inserts land at the index's right end. A row is still
// stored once: a spool replay carries the very started_at of the first try,
// so ON CONFLICT on the pair skips it. The key also serves every time-range
// query; version 1 also made a second B-tree on (key_name, started_at),
// which version 4 drops. A BRIN index on started_at would be smaller in
// PostgreSQL, but it only pays while rows arrive in time order, and rows
// from several gateways and from spool replays interleave; a B-tree stays
// exact at tens of millions of rows, and SQLite has nothing else.
constexpr std::string_view k_v1[] = {
    "CREATE TABLE usage_records ("
    "request_id TEXT NOT NULL, "
    "started_at BIGINT NOT NULL, "
    "key_id TEXT, "
    "key_name TEXT, "
    "team TEXT, "
    "endpoint TEXT NOT NULL, "
    "client_api TEXT NOT NULL, "
    "model_requested TEXT, "
    "provider TEXT, "
    "model_served TEXT, "
    "status BIGINT NOT NULL, "
    "error_type TEXT, "
    "stream BOOLEAN NOT NULL, "
    "cache_status TEXT NOT NULL, "
    "attempts BIGINT NOT NULL, "
    "fallback BOOLEAN NOT NULL, "
    "prompt_tokens BIGINT, "
    "completion_tokens BIGINT, "
    "cached_tokens BIGINT, "
    "cache_write_tokens BIGINT, "
    "reasoning_tokens BIGINT, "
    "tokens_estimated BOOLEAN NOT NULL, "
    "cost_usd DOUBLE PRECISION, "
    "cost_input_usd DOUBLE PRECISION, "
    "cost_cached_input_usd DOUBLE PRECISION, "
    "cost_cache_write_usd DOUBLE PRECISION, "
    "cost_output_usd DOUBLE PRECISION, "
    "latency_ms DOUBLE PRECISION NOT NULL, "
    "ttft_ms DOUBLE PRECISION, "
    "upstream_ms DOUBLE PRECISION NOT NULL, "
    "overhead_ms DOUBLE PRECISION NOT NULL, "
    "user_id TEXT, "
    "PRIMARY KEY (started_at, request_id))",
    "CREATE INDEX usage_records_key_started_at ON usage_records (key_name, started_at)",
};

// Columns are added at the end, never renamed: a spool entry written before
// has fewer columns, and the rest read as null.
constexpr std::string_view k_v2[] = {
    "ALTER TABLE usage_records ADD COLUMN metadata TEXT",
};

constexpr std::string_view k_v3[] = {
    "ALTER TABLE usage_records ADD COLUMN hedged BOOLEAN",
    "ALTER TABLE usage_records ADD COLUMN hedge_loser_cost_usd DOUBLE PRECISION",
};

// The index on (key_name, started_at) served only operators' queries for one
// key (the usage API filters on key_id and scans the time range), and it was
// 15% of SQLite's CPU per row (2.50 against 2.97 µs, replaying one spool of
// 195,537 rows), on the core the gateway's workers share. One key's rows are
// found by the time range of the primary key; an operator who queries one
// key over long ranges can add the index back (README).
constexpr std::string_view k_v4[] = {
    "DROP INDEX IF EXISTS usage_records_key_started_at",
};

// The id (new_record_id()). PostgreSQL adds the column, keeps its key
// (started_at, request_id) and leaves the id of older rows null: its COPY
// cannot skip a stored row, and a COPY retried after a lost acknowledgement
// needs a unique key to fail on (the key is 45% of its insert work, measured,
// and a key on the id alone was no cheaper). SQLite rebuilds the table with
// the id as its rowid and the old key gone, giving every row its id
// (sqlite_store::add_record_ids).
constexpr std::string_view k_v5[] = {
    "ALTER TABLE usage_records ADD COLUMN id BIGINT",
};

constexpr migration k_migrations[] = {
    {1, "usage_records", k_v1},
    {2, "usage_records_metadata", k_v2},
    {3, "usage_records_hedge", k_v3},
    {4, "usage_records_no_key_index", k_v4},
    {5, "usage_records_id", k_v5, sqlite_step::add_record_ids},
};

constexpr std::uint64_t k_record_id_low = (std::uint64_t{1} << k_record_id_shift) - 1;

value text(std::string_view s) {
  value v;
  v.null = s.empty();
  v.s = s;
  return v;
}

value integer(std::int64_t i) {
  value v;
  v.null = false;
  v.i = i;
  return v;
}

value count(std::int64_t i) {  // -1: unknown
  value v;
  v.null = i < 0;
  v.i = i;
  return v;
}

value real(double d) {
  value v;
  v.null = false;
  v.d = d;
  return v;
}

value cost(bool known, double d) {
  value v;
  v.null = !known;
  v.d = d;
  return v;
}

}  // namespace

std::string_view endpoint_of(std::string_view path) {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path.starts_with("/v1/")) path.remove_prefix(3);
  if (!path.starts_with('/')) return {};
  path.remove_prefix(1);
  for (std::string_view e : {"chat/completions", "embeddings", "messages", "messages/count_tokens"}) {
    if (path == e) return e;
  }
  return {};
}

std::int64_t started_at_ms(const request_record& r) {
  using namespace std::chrono;
  const double ended_ms = duration<double, std::milli>(r.ended.time_since_epoch()).count();
  return static_cast<std::int64_t>(std::llround(ended_ms - r.latency_ms));
}

double overhead_ms(const request_record& r) { return std::max(0.0, r.latency_ms - upstream_ms(r)); }

bool served_by_fallback(const request_record& r) {
  // Answered after an attempt that failed (an attempt that lost a hedge
  // race did not fail: the request was not failed over).
  if (r.provider.empty()) return false;
  for (const auto& a : r.attempts) {
    if (!a.error.empty() && a.error != k_hedge_lost) return true;
  }
  return false;
}

namespace {

std::int64_t id_of(std::int64_t started_at_ms, std::uint64_t low) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(started_at_ms) << k_record_id_shift) |
                                   (low & k_record_id_low));
}

}  // namespace

std::int64_t new_record_id(std::int64_t started_at_ms) {
  static std::atomic<std::uint64_t> count{std::random_device{}()};
  return id_of(started_at_ms, count.fetch_add(1, std::memory_order_relaxed));
}

std::int64_t record_id(std::int64_t started_at_ms, std::string_view request_id) {
  return id_of(started_at_ms, XXH3_64bits(request_id.data(), request_id.size()));
}

std::int64_t record_id_probe(std::int64_t id, std::uint32_t k) {
  const auto u = static_cast<std::uint64_t>(id);
  return static_cast<std::int64_t>((u & ~k_record_id_low) | ((u + k) & k_record_id_low));
}

std::int64_t first_record_id(std::int64_t ms) {
  constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max() >> k_record_id_shift;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(std::clamp(ms, -most - 1, most)) << k_record_id_shift);
}

bool fill_row(const request_record& r, row& out) {
  const std::string_view endpoint = endpoint_of(r.path);
  if (endpoint.empty()) return false;
  const double upstream = upstream_ms(r);
  const std::int64_t started = started_at_ms(r);
  std::size_t i = 0;
  out[i++] = text(r.request_id);
  out[i++] = integer(started);
  out[i++] = text(r.key_id);
  out[i++] = text(r.key_name);
  out[i++] = text(r.team);
  out[i++] = text(endpoint);
  out[i++] = text(r.client_api);
  out[i++] = text(r.model);
  out[i++] = text(r.provider);
  out[i++] = text(r.served_model);
  out[i++] = integer(r.status);
  out[i++] = text(r.status >= 400 || !r.error.empty() ? std::string_view(r.error) : std::string_view());
  out[i++] = integer(r.stream ? 1 : 0);
  out[i++] = text(name_of(r.cache));
  out[i++] = integer(static_cast<std::int64_t>(r.attempts.size()));
  out[i++] = integer(served_by_fallback(r) ? 1 : 0);
  out[i++] = count(r.prompt_tokens);
  out[i++] = count(r.completion_tokens);
  out[i++] = count(r.cached_tokens);
  out[i++] = count(r.cache_write_tokens);
  out[i++] = count(r.reasoning_tokens);
  out[i++] = integer(r.usage == usage_source::estimated ? 1 : 0);
  out[i++] = cost(r.cost_known, r.cost_usd);
  out[i++] = cost(r.cost_known, r.cost_input_usd);
  out[i++] = cost(r.cost_known, r.cost_cached_input_usd);
  out[i++] = cost(r.cost_known, r.cost_cache_write_usd);
  out[i++] = cost(r.cost_known, r.cost_output_usd);
  out[i++] = real(r.latency_ms);
  value ttft = real(r.ttfb_ms);
  ttft.null = r.ttfb_ms < 0;
  out[i++] = ttft;
  out[i++] = real(upstream);
  out[i++] = real(std::max(0.0, r.latency_ms - upstream));
  out[i++] = text(r.user_id);
  out[i++] = text(r.metadata);
  out[i++] = integer(r.hedged ? 1 : 0);
  out[i++] = cost(r.hedge_loser_cost_usd >= 0, r.hedge_loser_cost_usd);
  out[i++] = integer(new_record_id(started));
  return true;
}

std::span<const migration> migrations() { return k_migrations; }

std::string insert_sql(sql_dialect dialect, std::size_t rows) {
  std::string sql = "INSERT INTO usage_records (";
  for (std::size_t c = 0; c < k_column_count; ++c) {
    if (c) sql += ", ";
    sql += k_columns[c].name;
  }
  sql += ") VALUES ";
  // SQLite's plain `?` takes the next number, as `$NNN` counts here. Numbered
  // ones (`?NNN`) cost SQLite a walk of every name so far at each one when it
  // prepares a statement: 2.6M instructions for one of 32 rows, 20% of the
  // inserter's work in its first seconds (each batch size is prepared once).
  std::size_t n = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < k_column_count; ++c, ++n) {
      if (c) sql += ", ";
      if (dialect == sql_dialect::sqlite) {
        sql += '?';
      } else {
        sql += '$';
        sql += std::to_string(n);
      }
    }
    sql += ')';
  }
  sql += dialect == sql_dialect::sqlite ? " ON CONFLICT (id) DO NOTHING"
                                        : " ON CONFLICT (started_at, request_id) DO NOTHING";
  return sql;
}

}  // namespace llmgw::usage
