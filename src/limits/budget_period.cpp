#include "limits/budget_period.hpp"

#include <cstdio>

namespace llmgw::limits {

namespace {

using namespace std::chrono;

}  // namespace

budget_window budget_window_at(budget::period per, system_clock::time_point now) {
  const sys_days today = floor<days>(now);
  const year_month_day ymd{today};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  char id[16];
  budget_window w;
  if (per == budget::period::day) {
    std::snprintf(id, sizeof id, "d%04d%02u%02u", y, m, d);
    w.ends = today + days(1);
  } else {
    std::snprintf(id, sizeof id, "m%04d%02u", y, m);
    const year_month next = ymd.year() / ymd.month() + months(1);
    w.ends = sys_days(next / 1);
  }
  w.id = id;
  w.left = ceil<milliseconds>(w.ends - now);
  return w;
}

std::string_view adjective_of(budget::period per) { return per == budget::period::day ? "daily" : "monthly"; }

}  // namespace llmgw::limits
