#pragma once
// For tests only: an environment made of a map, and the built-in vendor it
// configures.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/builtin_providers.hpp"
#include "config/config.hpp"
#include "config/env_subst.hpp"

namespace llmgw {

inline env_lookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(std::string(name)); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

// `yaml` loaded as the file gw.yaml with `vars` as the environment.
inline config load_test_config(std::string_view yaml, std::map<std::string, std::string> vars = {}) {
  return load_config_from_string(yaml, fake_env(std::move(vars)), "gw.yaml");
}

// The config_error message of loading `yaml`, or "" if it loads.
inline std::string config_error_of(std::string_view yaml, std::map<std::string, std::string> vars = {}) {
  try {
    load_test_config(yaml, std::move(vars));
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

// The built-in vendor `name` as `vars` configure it; throws when there is none.
inline provider_config builtin_vendor_for_test(std::string_view name, std::map<std::string, std::string> vars) {
  auto p = builtin_vendor(name, fake_env(std::move(vars)));
  if (!p) throw std::logic_error("no built-in vendor " + std::string(name));
  return *p;
}

}  // namespace llmgw
