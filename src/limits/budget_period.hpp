#pragma once
// The calendar period a budget counts in: a UTC day or a UTC month. A
// budget's bucket is named after its period, so a new day or month starts
// from zero without any reset job, in memory and in Redis alike.
#include <chrono>
#include <string>

#include "config/limits_config.hpp"
#include "core/utc_time.hpp"

namespace llmgw::limits {

struct budget_window {
  std::string id;  // "d20261203" or "m202612": part of the bucket's name
  std::chrono::system_clock::time_point ends;
  std::chrono::milliseconds left{0};  // from `now` until `ends`
};

budget_window budget_window_at(budget::period per, std::chrono::system_clock::time_point now);

// "daily" / "monthly"
std::string_view adjective_of(budget::period per);

}  // namespace llmgw::limits
