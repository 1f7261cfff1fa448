#include "mock/claude_models.hpp"

#include <array>

namespace llmgw::mock {

namespace {

// Standard output limits, from the models overview
// (https://docs.claude.com/en/docs/about-claude/models/overview). Dated
// Claude 4.0 ids have no minor version: "claude-sonnet-4-20250514".
struct output_limit {
  std::string_view prefix;
  std::uint64_t max_tokens;
};
constexpr std::array k_output_limits{
    output_limit{"claude-opus-4-5", 64000},      output_limit{"claude-opus-4-1", 32000},
    output_limit{"claude-opus-4-0", 32000},      output_limit{"claude-opus-4-2025", 32000},
    output_limit{"claude-sonnet-4-5", 64000},    output_limit{"claude-sonnet-4-0", 64000},
    output_limit{"claude-sonnet-4-2025", 64000}, output_limit{"claude-haiku-4-5", 64000},
    output_limit{"claude-3-7-sonnet", 64000},    output_limit{"claude-3-5-sonnet", 8192},
    output_limit{"claude-3-5-haiku", 8192},      output_limit{"claude-3-opus", 4096},
    output_limit{"claude-3-haiku", 4096},
};

// Temperature or top_p, not both: a breaking change of Sonnet 4.5 and Haiku
// 4.5 in the migration guide
// (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4);
// Opus 4.1 and the 4.5 and 4.6 models refuse both the same way.
constexpr std::array<std::string_view, 6> k_one_sampler = {"claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5",
                                                           "claude-opus-4-1",   "claude-opus-4-5",   "claude-opus-4-6"};

}  // namespace

std::string_view claude_id(std::string_view model) {
  if (model.starts_with("claude-")) return model;
  const auto at = model.find("anthropic.claude-");
  if (at == std::string_view::npos) return {};
  if (at != 0 && model[at - 1] != '.') return {};  // a region prefix: "us.", "global."
  return model.substr(at + 10);
}

std::optional<std::uint64_t> claude_output_limit(std::string_view model) {
  const std::string_view id = claude_id(model);
  for (const auto& l : k_output_limits) {
    if (!id.empty() && id.starts_with(l.prefix)) return l.max_tokens;
  }
  return std::nullopt;
}

bool claude_takes_one_sampler(std::string_view model) {
  const std::string_view id = claude_id(model);
  for (auto prefix : k_one_sampler) {
    if (!id.empty() && id.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace llmgw::mock
