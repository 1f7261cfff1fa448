#include "usage/usage_query.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "core/json_escape.hpp"
#include "core/utc_time.hpp"

namespace llmgw::usage {

namespace {

constexpr std::int64_t k_day_ms = 86'400'000;
constexpr std::int64_t k_hour_ms = 3'600'000;

std::string_view value_of(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return {};
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (s.size() < at + n) return false;
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
  return ec == std::errc{} && end == s.data() + at + n;
}

// Unix seconds, or RFC 3339 in UTC ("Z", or %3A-escaped colons) or a date.
std::optional<std::int64_t> parse_time_ms(std::string_view v) {
  std::int64_t unix_seconds = 0;
  if (auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), unix_seconds);
      ec == std::errc{} && end == v.data() + v.size()) {
    return unix_seconds * 1000;
  }
  std::string s(v);
  for (std::size_t at = s.find("%3A"); at != std::string::npos; at = s.find("%3A")) s.replace(at, 3, 1, ':');
  for (std::size_t at = s.find("%3a"); at != std::string::npos; at = s.find("%3a")) s.replace(at, 3, 1, ':');
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  if (s.size() > 10) {
    if (s.size() != 20 || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se) || (s[19] != 'Z' && s[19] != 'z'))
      return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  const auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(se);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::string time_text(std::int64_t ms, bool date_only) {
  const std::chrono::system_clock::time_point t{std::chrono::milliseconds(ms)};
  return date_only ? utc_date(t) : rfc3339_utc(t);
}

std::string_view group_expression(usage_grouping g) {
  switch (g) {
    case usage_grouping::model:
      return "COALESCE(model_served, model_requested)";
    case usage_grouping::provider:
      return "provider";
    case usage_grouping::key:
      return "key_name";
    case usage_grouping::team:
      return "team";
    case usage_grouping::day:
      return "CAST(started_at / 86400000 * 86400000 AS TEXT)";
    case usage_grouping::hour:
      return "CAST(started_at / 3600000 * 3600000 AS TEXT)";
  }
  return "model_requested";
}

// A number column as JSON: integers stay integers, reals keep their digits.
void append_number(std::string& out, const std::optional<std::string>& v, bool zero_when_null) {
  if (!v || v->empty()) {
    out += zero_when_null ? "0" : "null";
    return;
  }
  double d = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc{} || end != v->data() + v->size()) {
    out += "null";
    return;
  }
  out += *v;
}

}  // namespace

boost::system::result<usage_question, usage_question_error> parse_usage_question(std::string_view query,
                                                                                 std::int64_t now_ms) {
  usage_question q;
  q.to_ms = now_ms;
  if (auto v = value_of(query, "to"); !v.empty()) {
    auto t = parse_time_ms(v);
    if (!t) return usage_question_error{"to", "expected RFC 3339 (2026-12-03T00:00:00Z), a date or Unix seconds"};
    q.to_ms = *t;
  }
  q.from_ms = q.to_ms - k_day_ms;
  if (auto v = value_of(query, "from"); !v.empty()) {
    auto t = parse_time_ms(v);
    if (!t) return usage_question_error{"from", "expected RFC 3339 (2026-12-03T00:00:00Z), a date or Unix seconds"};
    q.from_ms = *t;
  }
  if (q.from_ms > q.to_ms) return usage_question_error{"from", "is after to"};
  if (auto v = value_of(query, "group_by"); !v.empty()) {
    if (v == "model") {
      q.group_by = usage_grouping::model;
    } else if (v == "provider") {
      q.group_by = usage_grouping::provider;
    } else if (v == "key") {
      q.group_by = usage_grouping::key;
    } else if (v == "team") {
      q.group_by = usage_grouping::team;
    } else if (v == "day") {
      q.group_by = usage_grouping::day;
    } else if (v == "hour") {
      q.group_by = usage_grouping::hour;
    } else {
      return usage_question_error{"group_by", "expected model, provider, key, team, day or hour"};
    }
  }
  return q;
}

std::string usage_sql(const usage_question& q, sql_dialect dialect) {
  // Everything inlined is ours: integers and a key id of the form
  // key_<hex> (checked), so no value of the client's reaches the SQL.
  std::string where = "started_at >= " + std::to_string(q.from_ms) + " AND started_at < " + std::to_string(q.to_ms);
  if (dialect == sql_dialect::sqlite) {
    where += " AND id >= " + std::to_string(first_record_id(q.from_ms)) + " AND id < " +
             std::to_string(first_record_id(q.to_ms));
  }
  if (!q.key_id.empty()) {
    bool safe = true;
    for (char c : q.key_id) safe = safe && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_');
    where += safe ? " AND key_id = '" + q.key_id + "'" : " AND 1 = 0";
  }
  std::string sql;
  sql += "WITH base AS (SELECT COALESCE(";
  sql += group_expression(q.group_by);
  sql +=
      ", '') AS g, status, prompt_tokens, completion_tokens, cached_tokens, cost_usd, cache_status, latency_ms, "
      "ttft_ms FROM usage_records WHERE ";
  sql += where;
  sql +=
      "), agg AS (SELECT g, COUNT(*) AS requests, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors, "
      "SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, "
      "SUM(cached_tokens) AS cached_tokens, SUM(cost_usd) AS cost_usd, "
      "SUM(CASE WHEN cache_status = 'hit' THEN 1 ELSE 0 END) AS cache_hits FROM base GROUP BY g), "
      "lat AS (SELECT g, latency_ms AS v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY latency_ms) AS rn, "
      "COUNT(*) OVER (PARTITION BY g) AS n FROM base), "
      "ttft AS (SELECT g, ttft_ms AS v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ttft_ms) AS rn, "
      "COUNT(*) OVER (PARTITION BY g) AS n FROM base WHERE ttft_ms IS NOT NULL) "
      "SELECT agg.g, agg.requests, agg.errors, agg.prompt_tokens, agg.completion_tokens, agg.cached_tokens, "
      "agg.cost_usd, agg.cache_hits, "
      "(SELECT v FROM lat WHERE lat.g = agg.g AND lat.rn = (lat.n + 1) / 2), "
      "(SELECT v FROM lat WHERE lat.g = agg.g AND lat.rn = (95 * lat.n + 99) / 100), "
      "(SELECT v FROM ttft WHERE ttft.g = agg.g AND ttft.rn = (ttft.n + 1) / 2), "
      "(SELECT v FROM ttft WHERE ttft.g = agg.g AND ttft.rn = (95 * ttft.n + 99) / 100) "
      "FROM agg ORDER BY agg.g";
  return sql;
}

std::string render_usage(const usage_question& q, const std::vector<query_row>& rows) {
  static constexpr std::string_view k_names[] = {"requests",       "errors",      "prompt_tokens", "completion_tokens",
                                                 "cached_tokens",  "cost_usd",    "cache_hits",    "latency_p50_ms",
                                                 "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms"};
  std::string out = R"({"object":"list","data":[)";
  bool first = true;
  for (const auto& row : rows) {
    if (row.size() != 1 + std::size(k_names)) continue;
    if (!first) out.push_back(',');
    first = false;
    out += R"({"group":)";
    const std::string g = row[0].value_or("");
    if (g.empty()) {
      out += "null";
    } else if (q.group_by == usage_grouping::day || q.group_by == usage_grouping::hour) {
      std::int64_t ms = 0;
      std::from_chars(g.data(), g.data() + g.size(), ms);
      append_json_string(out, time_text(ms, q.group_by == usage_grouping::day));
    } else {
      append_json_string(out, g);
    }
    for (std::size_t i = 0; i < std::size(k_names); ++i) {
      out += ",\"";
      out += k_names[i];
      out += "\":";
      // Counts and sums are 0 when nothing was counted; a percentile or a
      // cost nobody could price is null.
      const bool zero = i <= 4 || i == 6;
      append_number(out, row[1 + i], zero);
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

}  // namespace llmgw::usage
