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

}  // namespace llmgw::providers
