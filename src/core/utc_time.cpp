#include "core/utc_time.hpp"

#include <cstdio>

namespace llmgw {

namespace {

using namespace std::chrono;

struct parts {
  year_month_day ymd;
  hh_mm_ss<seconds> hms;
};

parts split(system_clock::time_point t) {
  const sys_days day = floor<days>(t);
  return {year_month_day{day}, hh_mm_ss{floor<seconds>(t - day)}};
}

}  // namespace

std::string rfc3339_utc(system_clock::time_point t) {
  const parts p = split(t);
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(p.ymd.year()),
                static_cast<unsigned>(p.ymd.month()), static_cast<unsigned>(p.ymd.day()),
                static_cast<long>(p.hms.hours().count()), static_cast<long>(p.hms.minutes().count()),
                static_cast<long>(p.hms.seconds().count()));
  return out;
}

std::string utc_date(system_clock::time_point t) { return rfc3339_utc(t).substr(0, 10); }

}  // namespace llmgw
