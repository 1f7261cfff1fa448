#pragma once
// Wall-clock times as the APIs write them, in UTC.
#include <chrono>
#include <string>

namespace llmgw {

// "2026-12-04T00:00:00Z" (whole seconds).
std::string rfc3339_utc(std::chrono::system_clock::time_point t);
// "2026-12-04"
std::string utc_date(std::chrono::system_clock::time_point t);

}  // namespace llmgw
