#include "api/admission.hpp"

#include <gtest/gtest.h>

#include "limits/memory_limiter.hpp"

namespace llmgw::api {
namespace {

using namespace std::chrono;

system_clock::time_point dec_3_at_22h() { return sys_days(year(2026) / December / 3) + hours(22); }

key_limits team_key() {
  key_limits k;
  k.budgets.push_back({budget::period::day, 1.0});
  k.team = "team-a";
  k.team_budgets.push_back({budget::period::month, 50.0});
  return k;
}

TEST(admission_budgets, the_keys_budget_joins_its_limits_and_the_teams_is_decided_apart) {
  admission a;
  a.charge_budgets("key_abc", team_key(), 0.25, dec_3_at_22h());
  ASSERT_EQ(a.charges().size(), 1u);
  EXPECT_EQ(a.charges()[0].bucket, "{key_abc}:budget:d20261203");
  EXPECT_EQ(a.charges()[0].kind, limits::unit::spend);
  EXPECT_EQ(a.charges()[0].cost, 0.25);
  EXPECT_EQ(a.charges()[0].window, hours(2));
  ASSERT_EQ(a.team_charges().size(), 1u);
  EXPECT_EQ(a.team_charges()[0].bucket, "{team:team-a}:budget:m202612");
  EXPECT_EQ(a.team_charges()[0].amount, 50.0);
}

TEST(admission_budgets, a_spent_budget_is_a_429_naming_it_and_when_it_resets) {
  limits::memory_limiter l;
  admission first;
  first.charge_budgets("key_abc", team_key(), 0.9, dec_3_at_22h());
  ASSERT_TRUE(l.take_now(first.charges(), limits::token_bucket::clock::now()).admitted);

  admission second;
  second.charge_budgets("key_abc", team_key(), 0.2, dec_3_at_22h());
  const limits::decision d = l.take_now(second.charges(), limits::token_bucket::clock::now());
  ASSERT_FALSE(d.admitted);
  const gateway_error e = second.refusal(d, second.charges());
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.code, "budget_exceeded");
  EXPECT_EQ(e.message,
            "Budget exceeded: this key's daily budget ($0.90 of $1.00 is spent, this request may cost more). "
            "It resets at 2026-12-04T00:00:00Z.");
  EXPECT_EQ(e.retry_after, "7200");
}

TEST(admission_budgets, settling_trues_the_reservation_up_to_the_cost) {
  limits::memory_limiter l;
  const auto now = limits::token_bucket::clock::now();
  admission a;
  a.charge_budgets("key_abc", team_key(), 0.9, dec_3_at_22h());
  ASSERT_TRUE(l.take_now(a.team_charges(), now).admitted);
  a.team_admitted(l);
  const limits::decision d = l.take_now(a.charges(), now);
  ASSERT_TRUE(d.admitted);
  const std::vector<limits::charge> key_charges = a.charges();  // admitted() moves them to what it holds
  a.admitted(l, d);
  EXPECT_TRUE(a.charges().empty());
  a.settle(std::nullopt, 0.1);  // it cost 0.1 of the 0.9 reserved
  EXPECT_NEAR(l.take_now(key_charges, now).states[0].remaining, 1.0 - 0.1 - 0.9, 1e-9);
  EXPECT_NEAR(l.take_now(a.team_charges(), now).states[0].remaining, 50.0 - 0.1 - 0.9, 1e-9);
}

// x-ratelimit-reset-* in OpenAI's format, rounded up to whole seconds past
// one, and the counts as whole non-negative numbers.
TEST(admission_headers, durations_and_counts_are_written_as_openai_writes_them) {
  using std::chrono::milliseconds;
  for (const auto& [ms, text] : std::initializer_list<std::pair<long long, std::string_view>>{{-5, "0ms"},
                                                                                              {0, "0ms"},
                                                                                              {250, "250ms"},
                                                                                              {999, "999ms"},
                                                                                              {1000, "1s"},
                                                                                              {1001, "2s"},
                                                                                              {59000, "59s"},
                                                                                              {59001, "1m0s"},
                                                                                              {61500, "1m2s"},
                                                                                              {360000, "6m0s"},
                                                                                              {86400000, "1440m0s"}}) {
    EXPECT_EQ(reset_duration(milliseconds(ms)).view(), text) << ms;
  }
  EXPECT_EQ(whole_number(2.9).view(), "2");
  EXPECT_EQ(whole_number(-3).view(), "0");
  EXPECT_EQ(whole_number(1e12).view(), "1000000000000");
  EXPECT_EQ(whole_number(1e300).view(), "9200000000000000000");
  EXPECT_TRUE(header_text().empty());
}

}  // namespace
}  // namespace llmgw::api
