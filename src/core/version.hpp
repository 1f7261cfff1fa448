#pragma once
// The one place the version is written: `llmgw --version` prints it.
#include <string_view>

namespace llmgw {

inline constexpr std::string_view k_version = "0.1.0";

}  // namespace llmgw
