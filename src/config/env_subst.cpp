#include "config/env_subst.hpp"

#include "core/sha256.hpp"

#include <cstdlib>

namespace llmgw {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

env_lookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    // getenv needs a NUL-terminated name.
    const std::string key(name);
    if (const char* value = std::getenv(key.c_str())) return std::string(value);
    return std::nullopt;
  };
}

std::string substitute_env(std::string_view text, const env_lookup& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, dollar - i));
    const std::string_view rest = text.substr(dollar);
    if (rest.starts_with("$${")) {
      out.append("${");
      i = dollar + 3;
      continue;
    }
    if (!rest.starts_with("${")) {
      out.push_back('$');
      i = dollar + 1;
      continue;
    }
    const std::size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      // The text is not echoed: it may be a secret.
      throw env_subst_error("unterminated \"${\" (write $${ for a literal one)");
    }
    const std::string_view body = text.substr(dollar + 2, close - dollar - 2);
    std::string_view name = body;
    std::optional<std::string_view> fallback;
    if (const std::size_t sep = body.find(":-"); sep != std::string_view::npos) {
      name = body.substr(0, sep);
      fallback = body.substr(sep + 2);
    }
    bool valid = !name.empty() && is_name_start(name.front());
    for (char c : name) valid = valid && is_name_char(c);
    if (!valid) {
      throw env_subst_error("invalid environment variable reference \"${" + std::string(body) + "}\"");
    }
    std::optional<std::string> value = env(name);
    if (fallback && (!value || value->empty())) {
      out.append(*fallback);
    } else if (value) {
      out.append(*value);
      // Values are often keys: leave no stray copy behind in freed memory.
      secure_wipe(*value);
    } else {
      throw env_subst_error("environment variable " + std::string(name) + " is not set");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace llmgw
