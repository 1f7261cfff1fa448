#include "providers/anthropic_models.hpp"

#include <array>

namespace llmgw::providers {

namespace {

struct family_limit {
  std::string_view prefix;
  std::int64_t max_output_tokens;
};

// Longest prefixes first: the first match wins. Figures from Anthropic's
// models overview (standard limits, without the output-128k beta).
constexpr std::array k_families{
    family_limit{"claude-opus-4-6", 128000}, family_limit{"claude-opus-4-5", 64000},
    family_limit{"claude-opus-4-1", 32000},  family_limit{"claude-opus-4", 32000},
    family_limit{"claude-sonnet-4", 64000},  // 4, 4.5 and 4.6
    family_limit{"claude-haiku-4", 64000},   family_limit{"claude-3-7-sonnet", 64000},
    family_limit{"claude-3-5-sonnet", 8192}, family_limit{"claude-3-5-haiku", 8192},
    family_limit{"claude-3-opus", 4096},     family_limit{"claude-3-sonnet", 4096},
    family_limit{"claude-3-haiku", 4096},
};

}  // namespace

std::optional<std::int64_t> claude_max_output_tokens(std::string_view model) {
  // Vendor-qualified names ("anthropic/claude-…") reach here as the vendor's
  // own id, but tolerate a leftover prefix all the same.
  if (auto slash = model.rfind('/'); slash != std::string_view::npos) model.remove_prefix(slash + 1);
  for (const auto& f : k_families) {
    if (model.starts_with(f.prefix)) return f.max_output_tokens;
  }
  return std::nullopt;
}

namespace {

// The number at the start of `s` ("5" of "5-20250929"), removed from it;
// nullopt when `s` does not start with one, or with a date (8 digits).
std::optional<int> take_version(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 2) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[i] - '0');
  s.remove_prefix(n);
  return v;
}

}  // namespace

bool claude_refuses_temperature_with_top_p(std::string_view model) {
  // "claude-<family>-<major>[-<minor>]…", alone or after a vendor prefix
  // ("anthropic/", Bedrock's "anthropic." and region).
  constexpr std::string_view k_claude = "claude-";
  const auto at = model.find(k_claude);
  if (at == std::string_view::npos || (at != 0 && model[at - 1] != '.' && model[at - 1] != '/')) return false;
  std::string_view rest = model.substr(at + k_claude.size());
  std::string_view family;
  for (std::string_view f : {"opus-", "sonnet-", "haiku-"}) {
    if (rest.starts_with(f)) family = f;
  }
  if (family.empty()) return false;  // claude-3-…: the older naming, which takes both
  rest.remove_prefix(family.size());
  const auto major = take_version(rest);
  if (!major) return false;
  int minor = 0;
  if (rest.starts_with('-')) {
    rest.remove_prefix(1);
    minor = take_version(rest).value_or(0);
  }
  if (*major != 4) return *major > 4;
  return family == "opus-" ? minor >= 1 : minor >= 5;
}

}  // namespace llmgw::providers
