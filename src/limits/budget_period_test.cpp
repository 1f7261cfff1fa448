#include "limits/budget_period.hpp"

#include <gtest/gtest.h>

namespace llmgw::limits {
namespace {

using namespace std::chrono;

system_clock::time_point at(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days(year(y) / month(m) / day(d)) + hours(h) + minutes(min);
}

TEST(budget_period, a_day_is_a_utc_day_named_by_its_date) {
  const budget_window w = budget_window_at(budget::period::day, at(2026, 12, 3, 23, 30));
  EXPECT_EQ(w.id, "d20261203");
  EXPECT_EQ(w.ends, at(2026, 12, 4, 0, 0));
  EXPECT_EQ(w.left, minutes(30));
  EXPECT_EQ(rfc3339_utc(w.ends), "2026-12-04T00:00:00Z");
}

TEST(budget_period, a_month_ends_on_the_first_of_the_next_across_a_year) {
  const budget_window dec = budget_window_at(budget::period::month, at(2026, 12, 31, 12, 0));
  EXPECT_EQ(dec.id, "m202612");
  EXPECT_EQ(rfc3339_utc(dec.ends), "2027-01-01T00:00:00Z");
  EXPECT_EQ(dec.left, hours(12));
  const budget_window feb = budget_window_at(budget::period::month, at(2028, 2, 10, 0, 0));
  EXPECT_EQ(feb.id, "m202802");
  EXPECT_EQ(rfc3339_utc(feb.ends), "2028-03-01T00:00:00Z");
}

}  // namespace
}  // namespace llmgw::limits
