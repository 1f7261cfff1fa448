#pragma once
// ${VAR} substitution for configuration values. The environment is passed in
// as a function so tests can use a fake one and production uses getenv.
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llmgw {

// Returns the variable's value, or nullopt when it is not set.
using env_lookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (getenv). Empty variables count as set.
env_lookup process_env();

// Thrown by substitute_env; the config loader adds the YAML path of the value.
class env_subst_error : public std::runtime_error {
 public:
  explicit env_subst_error(const std::string& what) : std::runtime_error(what) {}
};

// Replaces every ${NAME} in `text` by the variable's value:
//   ${NAME}          the value; an unset variable is an error naming it
//   ${NAME:-default} the value, or `default` when NAME is unset or empty
//   $${              a literal "${" (an escape for values that need one)
// A '$' not followed by '{' is kept as is. Substituted values are not scanned
// again, so a secret containing "${" stays intact. NAME is [A-Za-z_][A-Za-z0-9_]*.
std::string substitute_env(std::string_view text, const env_lookup& env);

}  // namespace llmgw
