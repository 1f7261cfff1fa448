#include "usage/usage_query.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>

#include <filesystem>
#include <memory>

#include "usage/sqlite_store.hpp"

namespace llmgw::usage {
namespace {

constexpr std::int64_t k_dec3 = 1796256000000;  // 2026-12-03T00:00:00Z

TEST(usage_query, times_are_rfc3339_dates_or_unix_seconds_and_default_to_the_last_day) {
  const auto d = parse_usage_question("", k_dec3);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ms, k_dec3);
  EXPECT_EQ(d->from_ms, k_dec3 - 86'400'000);
  EXPECT_EQ(d->group_by, usage_grouping::model);
  const auto q = parse_usage_question("from=2026-12-02&to=2026-12-03T01:00:00Z&group_by=hour", 0);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->from_ms, k_dec3 - 86'400'000);
  EXPECT_EQ(q->to_ms, k_dec3 + 3'600'000);
  EXPECT_EQ(q->group_by, usage_grouping::hour);
  EXPECT_EQ(parse_usage_question("from=1796256000&to=2026-12-03T00%3A00%3A01Z", 0)->to_ms, k_dec3 + 1000);
  EXPECT_EQ(parse_usage_question("from=yesterday", 0).error().param, "from");
  EXPECT_EQ(parse_usage_question("group_by=user", 0).error().param, "group_by");
  EXPECT_EQ(parse_usage_question("from=2026-12-04&to=2026-12-03", 0).error().message, "is after to");
}

class usage_query_db : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::temp_directory_path() / ("usage_query_test_" + std::to_string(::getpid()) + ".db")).string();
    std::filesystem::remove(path_);
    store_ = std::make_unique<sqlite_store>(path_);
    std::string error;
    ASSERT_TRUE(store_->connect(error)) << error;  // creates the schema
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(db_);
    std::filesystem::remove(path_);
  }
  void row(int i, std::string_view model, std::string_view key_id, int status, double latency, const char* ttft,
           const char* cost, std::string_view cache = "miss", std::int64_t at = k_dec3 + 1000) {
    const std::string sql =
        "INSERT INTO usage_records (request_id, started_at, key_id, key_name, endpoint, client_api, model_requested, "
        "status, stream, cache_status, attempts, fallback, prompt_tokens, completion_tokens, cached_tokens, "
        "tokens_estimated, cost_usd, latency_ms, ttft_ms, upstream_ms, overhead_ms, id) VALUES ('r" +
        std::to_string(i) + "', " + std::to_string(at) + ", '" + std::string(key_id) +
        "', 'k', 'chat/completions', "
        "'openai', '" +
        std::string(model) + "', " + std::to_string(status) + ", 0, '" + std::string(cache) + "', 1, 0, 10, 5, 2, 0, " +
        cost + ", " + std::to_string(latency) + ", " + ttft + ", 1, 1, " +
        std::to_string(record_id(at, "r" + std::to_string(i))) + ")";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  std::string ask(const usage_question& q) {
    std::vector<query_row> rows;
    std::string error;
    EXPECT_TRUE(store_->query(usage_sql(q, sql_dialect::sqlite), std::chrono::seconds(5), rows, error)) << error;
    return render_usage(q, rows);
  }
  std::string path_;
  std::unique_ptr<sqlite_store> store_;
  sqlite3* db_ = nullptr;
};

TEST_F(usage_query_db, sums_counts_and_nearest_rank_percentiles_per_group) {
  // gpt-4o: latencies 10..100 (p50 = the 5th = 50, p95 = the 10th = 100); one error, one hit; time to
  // first token 1..10 less the error's: nine values, p50 = the 5th = 6.
  for (int i = 1; i <= 10; ++i)
    row(i, "gpt-4o", "key_a", i == 3 ? 500 : 200, i * 10.0, i == 3 ? "NULL" : std::to_string(i).c_str(), "0.5",
        i == 4 ? "hit" : "miss");
  row(11, "claude", "key_b", 200, 7, "NULL", "NULL");
  row(12, "gpt-4o", "key_a", 200, 999, "1", "1", "miss", k_dec3 - 1);  // before the range
  usage_question q;
  q.from_ms = k_dec3;
  q.to_ms = k_dec3 + 86'400'000;
  EXPECT_EQ(
      ask(q),
      R"({"object":"list","data":[)"
      R"({"group":"claude","requests":1,"errors":0,"prompt_tokens":10,"completion_tokens":5,"cached_tokens":2,)"
      R"("cost_usd":null,"cache_hits":0,"latency_p50_ms":7.0,"latency_p95_ms":7.0,"ttft_p50_ms":null,"ttft_p95_ms":null},)"
      R"({"group":"gpt-4o","requests":10,"errors":1,"prompt_tokens":100,"completion_tokens":50,"cached_tokens":20,)"
      R"("cost_usd":5.0,"cache_hits":1,"latency_p50_ms":50.0,"latency_p95_ms":100.0,"ttft_p50_ms":6.0,"ttft_p95_ms":10.0}]})");
  // A key sees its own rows only.
  q.key_id = "key_b";
  EXPECT_NE(ask(q).find(R"("group":"claude")"), std::string::npos);
  EXPECT_EQ(ask(q).find("gpt-4o"), std::string::npos);
  q.key_id = "key_b' OR '1'='1";
  EXPECT_EQ(ask(q), R"({"object":"list","data":[]})");
}

// A time range reads that range of rowids (the record ids), not the whole
// table: the plan searches the table by its integer key.
TEST_F(usage_query_db, a_time_range_in_sqlite_is_a_range_of_ids) {
  usage_question q;
  q.from_ms = k_dec3;
  q.to_ms = k_dec3 + 86'400'000;
  row(1, "m", "key_a", 200, 1, "1", "1", "miss", q.to_ms - 1);
  row(2, "m", "key_a", 200, 1, "1", "1", "miss", q.to_ms);  // the end is not in the range
  EXPECT_NE(ask(q).find(R"("requests":1,)"), std::string::npos) << ask(q);
  std::vector<query_row> plan;
  std::string error;
  ASSERT_TRUE(
      store_->query("EXPLAIN QUERY PLAN " + usage_sql(q, sql_dialect::sqlite), std::chrono::seconds(5), plan, error))
      << error;
  std::string steps;
  for (const auto& r : plan) steps += r.back().value_or("") + "\n";
  EXPECT_NE(steps.find("SEARCH usage_records USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), std::string::npos)
      << steps;
  EXPECT_EQ(steps.find("SCAN usage_records"), std::string::npos) << steps;
}

TEST_F(usage_query_db, days_group_as_dates) {
  row(1, "m", "key_a", 200, 1, "1", "1", "miss", k_dec3 + 5000);
  row(2, "m", "key_a", 200, 1, "1", "1", "miss", k_dec3 - 5000);
  usage_question q;
  q.from_ms = k_dec3 - 86'400'000;
  q.to_ms = k_dec3 + 86'400'000;
  q.group_by = usage_grouping::day;
  const std::string out = ask(q);
  EXPECT_NE(out.find(R"("group":"2026-12-02")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("group":"2026-12-03")"), std::string::npos) << out;
}

}  // namespace
}  // namespace llmgw::usage
