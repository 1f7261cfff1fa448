#include "auth/keys.hpp"

namespace llmgw {
namespace {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

key_store::key_store(const config& cfg) : key_store(cfg.keys, cfg.master_key_sha256) {}

key_store::key_store(const std::vector<key_entry>& keys, const std::optional<std::string>& master_key_sha256) {
  for (const auto& k : keys) add(k.key_sha256, {k.name, false, {}, k.limits});
  // Added last so that the master key keeps every right even if a config key
  // happens to have the same value.
  if (master_key_sha256) add(*master_key_sha256, {"master", true, {}, {}});
}

void key_store::add(const std::string& key_sha256, entry who) {
  const auto digest = parse_sha256_hex(key_sha256);
  if (!digest) throw config_error("key " + who.name + ": key_sha256 must be 64 hex characters");
  static constexpr char k_hex[] = "0123456789abcdef";
  who.id = "key_";
  for (std::size_t i = 0; i < 6; ++i) {
    who.id.push_back(k_hex[(*digest)[i] >> 4]);
    who.id.push_back(k_hex[(*digest)[i] & 0xF]);
  }
  by_digest_.insert_or_assign(*digest, std::move(who));
}

std::optional<principal> key_store::lookup(std::string_view presented_key) const {
  if (presented_key.empty()) return std::nullopt;
  return lookup_digest(sha256(presented_key));
}

std::optional<principal> key_store::lookup_digest(const sha256_digest& digest) const {
  const auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return std::nullopt;
  const entry& e = it->second;
  const bool limited = e.limits.any();
  return principal{e.name, e.id, e.is_master, limited ? &e.limits : nullptr};
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  constexpr std::string_view k_scheme = "bearer";
  if (authorization.size() <= k_scheme.size() || !iequals(authorization.substr(0, k_scheme.size()), k_scheme)) {
    return std::nullopt;
  }
  const char separator = authorization[k_scheme.size()];
  if (separator != ' ' && separator != '\t') return std::nullopt;
  const std::string_view token = trim(authorization.substr(k_scheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string_view> presented_key(std::string_view authorization, std::string_view x_api_key) {
  if (auto token = bearer_token(authorization)) return token;
  x_api_key = trim(x_api_key);
  if (!x_api_key.empty()) return x_api_key;
  return std::nullopt;
}

}  // namespace llmgw
