#pragma once
// The usage API's question (GET /v1/usage): a time range, a grouping and,
// for a key that is not the master key, that key alone; the SQL that
// answers it — one statement for SQLite and PostgreSQL alike — and the
// JSON list made of its rows. Pure: the caller runs the SQL
// (usage_store::query) off the worker thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "usage/usage_schema.hpp"
#include "usage/usage_store.hpp"

namespace llmgw::usage {

enum class usage_grouping : std::uint8_t { model, provider, key, team, day, hour };

struct usage_question {
  std::int64_t from_ms = 0;  // inclusive
  std::int64_t to_ms = 0;    // exclusive
  usage_grouping group_by = usage_grouping::model;
  std::string key_id;  // only this key's rows; empty: every key
};

// A bad parameter: which, and why (the API answers 400 naming it).
struct usage_question_error {
  std::string param;
  std::string message;
};

// From the query string of GET /v1/usage ("from=…&to=…&group_by=…"): times
// in RFC 3339 (2026-12-03T00:00:00Z, or a date) or Unix seconds; `to`
// defaults to now, `from` to a day before `to`; group_by to model.
boost::system::result<usage_question, usage_question_error> parse_usage_question(std::string_view query,
                                                                                 std::int64_t now_ms);

// Columns, in order: group, requests, errors, prompt_tokens,
// completion_tokens, cached_tokens, cost_usd, cache_hits, latency_p50_ms,
// latency_p95_ms, ttft_p50_ms, ttft_p95_ms. Percentiles are nearest-rank.
// In SQLite the time range is also a range of ids (its rowids, which follow
// started_at: usage/usage_schema.hpp, new_record_id), so only that range is read.
std::string usage_sql(const usage_question& q, sql_dialect dialect);

// {"object":"list","data":[…]} with numbers as numbers and a day or hour
// group as an RFC 3339 time.
std::string render_usage(const usage_question& q, const std::vector<query_row>& rows);

}  // namespace llmgw::usage
