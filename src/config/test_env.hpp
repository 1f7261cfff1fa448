#pragma once
// For tests only: an environment made of a map, and the built-in vendor it
// configures.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/builtin_providers.hpp"
#include "config/env_subst.hpp"

namespace llmgw {

inline env_lookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(std::string(name)); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

// The built-in vendor `name` as `vars` configure it; throws when there is none.
inline provider_config builtin_vendor_for_test(std::string_view name, std::map<std::string, std::string> vars) {
  auto p = builtin_vendor(name, fake_env(std::move(vars)));
  if (!p) throw std::logic_error("no built-in vendor " + std::string(name));
  return *p;
}

}  // namespace llmgw
