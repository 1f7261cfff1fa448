#include "cost/price_table.hpp"

#include <array>

namespace llmgw::cost {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return !s.empty();
}

// `us.anthropic.claude…` → `anthropic.claude…`: Bedrock's cross-region
// inference profiles cost what the model costs.
std::string_view without_region(std::string_view m) {
  static constexpr std::array<std::string_view, 9> k_regions = {"us.", "eu.", "apac.", "global.", "us-gov.",
                                                                "jp.", "au.", "ca.",   "apne1."};
  for (std::string_view r : k_regions) {
    if (m.starts_with(r)) return m.substr(r.size());
  }
  return m;
}

// `…-v1:0` → `…`, `…-v2` → `…`, `…:0` → `…` (Bedrock's model versions).
std::string_view without_version(std::string_view m) {
  if (const auto colon = m.rfind(':'); colon != std::string_view::npos && all_digits(m.substr(colon + 1))) {
    m = m.substr(0, colon);
  }
  if (const auto dash = m.rfind("-v"); dash != std::string_view::npos && all_digits(m.substr(dash + 2))) {
    m = m.substr(0, dash);
  }
  return m;
}

// `anthropic.claude-3-haiku` → `claude-3-haiku`: the model vendor's prefix of a Bedrock id.
std::string_view without_model_vendor(std::string_view m) {
  static constexpr std::array<std::string_view, 8> k_vendors = {"anthropic.", "amazon.", "meta.",     "mistral.",
                                                                "cohere.",    "ai21.",   "deepseek.", "openai."};
  for (std::string_view v : k_vendors) {
    if (m.starts_with(v)) return m.substr(v.size());
  }
  return m;
}

}  // namespace

std::string lower(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view without_date(std::string_view m) {
  if (m.ends_with("-latest")) return m.substr(0, m.size() - 7);
  // -YYYY-MM-DD
  if (m.size() > 11) {
    const std::string_view d = m.substr(m.size() - 11);
    if (d[0] == '-' && all_digits(d.substr(1, 4)) && d[5] == '-' && all_digits(d.substr(6, 2)) && d[8] == '-' &&
        all_digits(d.substr(9, 2))) {
      return m.substr(0, m.size() - 11);
    }
  }
  // -YYYYMMDD (Anthropic's snapshots), a plausible year only: `-20241022`.
  if (m.size() > 9) {
    const std::string_view d = m.substr(m.size() - 9);
    if (d[0] == '-' && all_digits(d.substr(1)) && (d.substr(1, 2) == "20")) return m.substr(0, m.size() - 9);
  }
  return {};
}

void price_table::set(std::string_view name, const model_price& p) { entries_[lower(name)] = p; }

const model_price* price_table::exact(std::string_view name) const {
  const auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

const model_price* price_table::find(std::string_view provider, std::string_view family, std::string_view model) const {
  if (entries_.empty() || model.empty()) return nullptr;
  const std::string m = lower(model);
  const std::string scopes[2] = {lower(provider), family == provider ? std::string() : lower(family)};
  std::string scoped;
  const auto try_scoped = [&](std::string_view name) -> const model_price* {
    for (const auto& s : scopes) {
      if (s.empty()) continue;
      scoped.assign(s).append("/").append(name);
      if (const auto* hit = exact(scoped)) return hit;
    }
    return exact(name);
  };
  // One name: scoped, then bare; then the same without a date.
  const auto try_name = [&](std::string_view name) -> const model_price* {
    if (name.empty()) return nullptr;
    if (const auto* hit = try_scoped(name)) return hit;
    const std::string_view undated = without_date(name);
    return undated.empty() ? nullptr : try_scoped(undated);
  };
  if (const auto* hit = try_name(m)) return hit;
  const std::string_view regionless = without_region(m);
  if (regionless != m) {
    if (const auto* hit = try_name(regionless)) return hit;
  }
  // Version suffixes are only read off Bedrock ids (`<vendor>.<model>-v1:0`):
  // elsewhere `-v3` is part of a model's name (`deepseek-v3`).
  if (without_model_vendor(regionless) != regionless) {
    const std::string_view unversioned = without_version(regionless);
    if (unversioned != regionless) {
      if (const auto* hit = try_name(unversioned)) return hit;
    }
    if (const auto* hit = try_name(without_model_vendor(unversioned))) return hit;
  }
  if (const auto slash = m.rfind('/'); slash != std::string::npos) {
    if (const auto* hit = try_name(std::string_view(m).substr(slash + 1))) return hit;
  }
  return nullptr;
}

}  // namespace llmgw::cost
