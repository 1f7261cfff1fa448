#include "config/config.hpp"

#include "config/builtin_providers.hpp"
#include "config/yaml_duplicates.hpp"
#include "core/header_value.hpp"
#include "core/path_segment.hpp"
#include "core/sha256.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace llmgw {
namespace {

constexpr std::string_view k_openai_compatible = "openai-compatible";

// `{` and `}` end a plain scalar inside a YAML flow collection, so
// `- {name: b, key: ${KEY}}` would not parse. Before parsing, each "${" and
// its closing "}" are swapped for two private-use characters (valid in plain
// scalars), and swapped back when a scalar is read.
constexpr std::string_view k_ref_open = "\xee\x80\x80";   // U+E000
constexpr std::string_view k_ref_close = "\xee\x80\x81";  // U+E001

std::string protect_references(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("${", i);
    if (open == std::string_view::npos) break;
    out.append(text.substr(i, open - i)).append(k_ref_open);
    i = open + 2;
    const std::size_t close = text.find_first_of("}\n", i);
    if (close == std::string_view::npos || text[close] == '\n') continue;
    out.append(text.substr(i, close - i)).append(k_ref_close);
    i = close + 1;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

std::string restore_references(std::string_view scalar) {
  std::string out;
  out.reserve(scalar.size());
  std::size_t i = 0;
  while (i < scalar.size()) {
    if (scalar.substr(i).starts_with(k_ref_open)) {
      out.append("${");
      i += k_ref_open.size();
    } else if (scalar.substr(i).starts_with(k_ref_close)) {
      out.push_back('}');
      i += k_ref_close.size();
    } else {
      out.push_back(scalar[i++]);
    }
  }
  return out;
}

// Reads YAML nodes into config structs. Every failure names the source, the
// line and the YAML path of the field ("gw.yaml:7: server.port: ...").
class loader {
 public:
  loader(std::string source, const env_lookup& env) : source_(std::move(source)), env_(env) {}

  [[noreturn]] void fail(const YAML::Node& node, std::string_view path, std::string_view message) const {
    std::string where = source_;
    if (node.IsDefined()) {
      const YAML::Mark mark = node.Mark();
      if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
    }
    const std::string field = path.empty() ? std::string("top level") : std::string(path);
    throw config_error(where + ": " + field + ": " + std::string(message));
  }

  // Absent and `~`/empty values both mean "keep the default".
  static bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

  void expect_map(const YAML::Node& node, std::string_view path) const {
    if (!node.IsMap()) fail(node, path, "expected a mapping");
  }

  void check_fields(const YAML::Node& node, std::string_view path,
                    std::initializer_list<std::string_view> allowed) const {
    expect_map(node, path);
    for (const auto& item : node) {
      const std::string key = name_of(item.first);
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string expected;
      for (std::string_view a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
      fail(item.first, join(path, key), "unknown field (expected one of: " + expected + ")");
    }
  }

  // A mapping key, as written (names are not substituted).
  static std::string name_of(const YAML::Node& key) { return restore_references(key.Scalar()); }

  // A scalar with ${VAR} substituted.
  std::string string(const YAML::Node& node, std::string_view path) const {
    if (!node.IsScalar()) fail(node, path, "expected a string");
    try {
      return substitute_env(restore_references(node.Scalar()), env_);
    } catch (const env_subst_error& e) {
      fail(node, path, e.what());
    }
  }

  std::string non_empty_string(const YAML::Node& node, std::string_view path) const {
    std::string s = string(node, path);
    if (s.empty()) fail(node, path, "must not be empty");
    return s;
  }

  // A name a client may send or the gateway may send back in a header
  // (x-llmgw-provider, x-llmgw-model): no control characters.
  void check_name(const YAML::Node& node, std::string_view path, std::string_view name) const {
    if (has_control_char(name)) fail(node, path, "must not contain control characters");
  }

  // A model id sent to a vendor: a name, and usable as a URL path segment
  // (Azure, Gemini and Bedrock put it in the path).
  std::string model_id(const YAML::Node& node, std::string_view path) const {
    std::string s = non_empty_string(node, path);
    check_name(node, path, s);
    if (!usable_in_path(s)) fail(node, path, "must not be \".\" or \"..\" or hold such a path segment");
    return s;
  }

  template <class T>
  T integer(const YAML::Node& node, std::string_view path, std::uint64_t min, std::uint64_t max) const {
    if (!node.IsScalar()) fail(node, path, "expected an integer");
    const std::string s = string(node, path);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value < min || value > max) {
      fail(node, path,
           "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got \"" + s + "\"");
    }
    return static_cast<T>(value);
  }

  bool boolean(const YAML::Node& node, std::string_view path) const {
    if (!node.IsScalar()) fail(node, path, "expected true or false");
    const std::string s = string(node, path);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(node, path, "expected true or false, got \"" + s + "\"");
  }

  std::chrono::milliseconds millis(const YAML::Node& node, std::string_view path) const {
    constexpr std::uint64_t k_one_day_ms = 24ull * 3600 * 1000;
    return std::chrono::milliseconds(integer<std::int64_t>(node, path, 1, k_one_day_ms));
  }

  // `{rpm, tpm, max_parallel}`, each a whole number from 1; `max_parallel`
  // only where a concurrency limit makes sense.
  rate_limits limits(const YAML::Node& node, std::string_view path, bool allow_parallel = true) const {
    if (allow_parallel) {
      check_fields(node, path, {"rpm", "tpm", "max_parallel"});
    } else {
      check_fields(node, path, {"rpm", "tpm"});
    }
    constexpr std::uint64_t k_max = 1'000'000'000'000ull;
    rate_limits r;
    if (auto n = node["rpm"]; present(n)) r.rpm = integer<std::uint64_t>(n, join(path, "rpm"), 1, k_max);
    if (auto n = node["tpm"]; present(n)) r.tpm = integer<std::uint64_t>(n, join(path, "tpm"), 1, k_max);
    if (auto n = node["max_parallel"]; present(n))
      r.max_parallel = integer<std::uint64_t>(n, join(path, "max_parallel"), 1, 1'000'000);
    return r;
  }

  // A non-negative amount of USD per million tokens.
  double usd_per_mtok(const YAML::Node& node, std::string_view path) const {
    if (!node.IsScalar()) fail(node, path, "expected a number (USD per million tokens)");
    const std::string s = string(node, path);
    double value = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || !(value >= 0) || value > 1'000'000) {
      fail(node, path, "expected a number from 0 to 1000000 (USD per million tokens), got \"" + s + "\"");
    }
    return value;
  }

  // A share above 0 and at most 1.
  double share(const YAML::Node& node, std::string_view path) const {
    const std::string s = node.IsScalar() ? string(node, path) : std::string();
    double value = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (!node.IsScalar() || ec != std::errc{} || end != s.data() + s.size() || !(value > 0 && value <= 1)) {
      fail(node, path, "expected a share above 0 and at most 1, got \"" + s + "\"");
    }
    return value;
  }

  // `{input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok}`;
  // the first two are required, so a forgotten output price cannot read as free.
  price_config price(const YAML::Node& node, std::string_view path) const {
    check_fields(node, path, {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok"});
    price_config p;
    for (std::string_view required : {"input_per_mtok", "output_per_mtok"}) {
      if (!present(node[std::string(required)])) fail(node, path, std::string(required) + " is required");
    }
    p.input_per_mtok = usd_per_mtok(node["input_per_mtok"], join(path, "input_per_mtok"));
    p.output_per_mtok = usd_per_mtok(node["output_per_mtok"], join(path, "output_per_mtok"));
    if (auto n = node["cached_input_per_mtok"]; present(n)) {
      p.cached_input_per_mtok = usd_per_mtok(n, join(path, "cached_input_per_mtok"));
    }
    if (auto n = node["cache_write_per_mtok"]; present(n)) {
      p.cache_write_per_mtok = usd_per_mtok(n, join(path, "cache_write_per_mtok"));
    }
    return p;
  }

  // `[{period: day|month, usd: N}]`, at most one per period.
  std::vector<budget> budgets(const YAML::Node& node, std::string_view path) const {
    if (!node.IsSequence()) fail(node, path, "expected a list of budgets ({period: day|month, usd: N})");
    std::vector<budget> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string bpath = index(std::string(path), i);
      const YAML::Node b = node[i];
      check_fields(b, bpath, {"period", "usd"});
      if (!present(b["period"]) || !present(b["usd"])) fail(b, bpath, "a budget needs a period and usd");
      budget entry;
      const std::string per = string(b["period"], bpath + ".period");
      if (per == "day") {
        entry.per = budget::period::day;
      } else if (per == "month") {
        entry.per = budget::period::month;
      } else {
        fail(b["period"], bpath + ".period", "expected day or month, got \"" + per + "\"");
      }
      const std::string usd = string(b["usd"], bpath + ".usd");
      const auto [end, ec] = std::from_chars(usd.data(), usd.data() + usd.size(), entry.usd);
      if (ec != std::errc{} || end != usd.data() + usd.size() || !(entry.usd > 0) || entry.usd > 1e12) {
        fail(b["usd"], bpath + ".usd", "expected an amount of US dollars above 0, got \"" + usd + "\"");
      }
      for (const auto& other : out) {
        if (other.per == entry.per) fail(b, bpath, "two budgets for the same period");
      }
      out.push_back(entry);
    }
    return out;
  }

  std::vector<std::string> model_list(const YAML::Node& node, std::string_view path) const {
    if (!node.IsSequence()) fail(node, path, "expected a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < node.size(); ++i) out.push_back(model_id(node[i], index(path, i)));
    return out;
  }

  static std::string join(std::string_view path, std::string_view field) {
    return path.empty() ? std::string(field) : std::string(path) + "." + std::string(field);
  }
  static std::string index(std::string_view path, std::size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
  }

  const std::string& source() const { return source_; }
  const env_lookup& env() const { return env_; }

 private:
  std::string source_;
  const env_lookup& env_;
};

void load_server(const loader& l, const YAML::Node& node, server_config& s) {
  l.check_fields(node, "server",
                 {"host", "port", "workers", "reuse_port", "max_body_bytes", "read_timeout_ms", "idle_timeout_ms",
                  "max_header_bytes", "max_buffer_bytes", "max_connections", "drain_timeout_ms"});
  if (auto n = node["host"]; loader::present(n)) s.host = l.non_empty_string(n, "server.host");
  if (auto n = node["port"]; loader::present(n)) s.port = l.integer<std::uint16_t>(n, "server.port", 0, 65535);
  if (auto n = node["workers"]; loader::present(n)) s.workers = l.integer<unsigned>(n, "server.workers", 0, 1024);
  if (auto n = node["reuse_port"]; loader::present(n)) s.reuse_port = l.boolean(n, "server.reuse_port");
  if (auto n = node["max_body_bytes"]; loader::present(n)) {
    s.max_body_bytes = l.integer<std::size_t>(n, "server.max_body_bytes", 1, 1ull << 32);
  }
  if (auto n = node["read_timeout_ms"]; loader::present(n)) s.read_timeout = l.millis(n, "server.read_timeout_ms");
  if (auto n = node["idle_timeout_ms"]; loader::present(n)) s.idle_timeout = l.millis(n, "server.idle_timeout_ms");
  if (auto n = node["max_header_bytes"]; loader::present(n)) {
    s.max_header_bytes = l.integer<std::size_t>(n, "server.max_header_bytes", 1024, 1024 * 1024);
  }
  if (auto n = node["max_buffer_bytes"]; loader::present(n)) {
    s.max_buffer_bytes = l.integer<std::size_t>(n, "server.max_buffer_bytes", 1024 * 1024, 1ull << 40);
  }
  if (auto n = node["max_connections"]; loader::present(n)) {
    s.max_connections = l.integer<std::size_t>(n, "server.max_connections", 0, 10'000'000);
  }
  if (auto n = node["drain_timeout_ms"]; loader::present(n)) s.drain_timeout = l.millis(n, "server.drain_timeout_ms");
}

void load_access_log(const loader& l, const YAML::Node& node, access_log_config& a) {
  l.check_fields(node, "access_log", {"path"});
  if (auto n = node["path"]; loader::present(n)) a.path = l.non_empty_string(n, "access_log.path");
}

void load_metrics(const loader& l, const YAML::Node& node, metrics_config& m) {
  l.check_fields(node, "metrics", {"require_key"});
  if (auto n = node["require_key"]; loader::present(n)) {
    m.require_key = l.boolean(n, "metrics.require_key");
    // Only the master key may read the metrics then: without one nobody could.
    auto master = l.env()("LLMGW_MASTER_KEY");
    if (m.require_key && (!master || master->empty()))
      l.fail(n, "metrics.require_key", "true needs LLMGW_MASTER_KEY (only the master key may read /metrics)");
  }
}

void load_upstream(const loader& l, const YAML::Node& node, upstream_config& u) {
  l.check_fields(node, "upstream",
                 {"connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms", "total_timeout_ms", "max_attempts",
                  "max_response_bytes"});
  if (auto n = node["connect_timeout_ms"]; loader::present(n)) {
    u.connect_timeout = l.millis(n, "upstream.connect_timeout_ms");
  }
  if (auto n = node["first_byte_timeout_ms"]; loader::present(n)) {
    u.first_byte_timeout = l.millis(n, "upstream.first_byte_timeout_ms");
  }
  if (auto n = node["idle_timeout_ms"]; loader::present(n)) u.idle_timeout = l.millis(n, "upstream.idle_timeout_ms");
  if (auto n = node["total_timeout_ms"]; loader::present(n)) u.total_timeout = l.millis(n, "upstream.total_timeout_ms");
  if (auto n = node["max_attempts"]; loader::present(n)) {
    u.max_attempts = l.integer<unsigned>(n, "upstream.max_attempts", 1, 20);
  }
  if (auto n = node["max_response_bytes"]; loader::present(n)) {
    u.max_response_bytes = l.integer<std::size_t>(n, "upstream.max_response_bytes", 1024, 1ull << 40);
  }
}

bool is_builtin(std::string_view name) {
  const auto& names = builtin_vendor_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

provider_config load_provider(const loader& l, const YAML::Node& node, const std::string& path) {
  l.check_fields(node, path, {"name", "type", "base_url", "api_key", "api_version", "models"});
  const YAML::Node name_node = node["name"];
  if (!loader::present(name_node)) l.fail(node, path, "a provider needs a name");
  const std::string name = l.non_empty_string(name_node, path + ".name");
  // The name is the `vendor` of `vendor/model`, so it cannot hold a '/'.
  if (name.find_first_of("/ \t") != std::string::npos) {
    l.fail(name_node, path + ".name", "must not contain '/' or spaces");
  }
  l.check_name(name_node, path + ".name", name);

  std::string type = is_builtin(name) ? name : std::string(k_openai_compatible);
  if (auto n = node["type"]; loader::present(n)) {
    type = l.non_empty_string(n, path + ".type");
    if (type != k_openai_compatible && !is_builtin(type)) {
      std::string allowed(k_openai_compatible);
      for (std::string_view b : builtin_vendor_names()) allowed += ", " + std::string(b);
      l.fail(n, path + ".type", "unknown type \"" + type + "\" (expected one of: " + allowed + ")");
    }
  }

  // Start from the vendor of that type as the environment configures it, so a
  // YAML entry only states what differs.
  provider_config p;
  if (type != k_openai_compatible) {
    try {
      p = *builtin_vendor(type, l.env());
      p.type = type;
    } catch (const std::invalid_argument& e) {
      l.fail(node, path, e.what());
    }
  }
  p.name = name;
  if (auto n = node["base_url"]; loader::present(n)) {
    const std::string url = l.non_empty_string(n, path + ".base_url");
    try {
      set_base_url(p, url);
    } catch (const std::invalid_argument& e) {
      l.fail(n, path + ".base_url", e.what());
    }
  }
  // Both go into request headers (api-key, anthropic-version) or the query.
  if (auto n = node["api_key"]; loader::present(n)) {
    p.api_key = l.string(n, path + ".api_key");
    if (has_control_char(p.api_key)) l.fail(n, path + ".api_key", "must not contain control characters");
  }
  if (auto n = node["api_version"]; loader::present(n)) {
    p.api_version = l.non_empty_string(n, path + ".api_version");
    l.check_name(n, path + ".api_version", p.api_version);
  }
  if (auto n = node["models"]; loader::present(n)) p.models = l.model_list(n, path + ".models");

  if (p.base_url.empty()) l.fail(node, path, "base_url is required for a provider of type " + type);
  if (p.kind == provider_kind::bedrock) {
    // Bedrock signs with the AWS key pair from the environment, not an api_key.
    p.enabled = !p.aws_access_key_id.empty() && !p.aws_secret_access_key.empty();
    p.disabled_reason =
        p.enabled ? "" : "has no AWS credentials configured (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
    return p;
  }
  const bool needs_key = type != k_openai_compatible && vendor_needs_api_key(type);
  // Listing a provider means it is wanted; only a missing key (e.g. an empty
  // ${VAR:-}) leaves a key-needing vendor disabled.
  p.enabled = !needs_key || !p.api_key.empty();
  p.disabled_reason = p.enabled ? "" : "has no API key configured (" + path + ".api_key in " + l.source() + ")";
  return p;
}

void load_providers(const loader& l, const YAML::Node& node, config& cfg) {
  if (!node.IsSequence()) l.fail(node, "providers", "expected a list of providers");
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = loader::index("providers", i);
    provider_config p = load_provider(l, node[i], path);
    if (!seen.insert(p.name).second) l.fail(node[i], path + ".name", "duplicate provider \"" + p.name + "\"");
    add_provider(cfg, std::move(p));
  }
}

void load_keys(const loader& l, const YAML::Node& node, config& cfg) {
  if (!node.IsSequence()) l.fail(node, "keys", "expected a list of keys");
  std::set<std::string, std::less<>> names;
  std::set<std::string, std::less<>> hashes;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = loader::index("keys", i);
    const YAML::Node item = node[i];
    l.check_fields(item, path,
                   {"name", "key_sha256", "key", "team", "limits", "model_limits", "reserve_output_tokens", "budgets"});
    if (!loader::present(item["name"])) l.fail(item, path, "a key needs a name");
    key_entry entry;
    entry.name = l.non_empty_string(item["name"], path + ".name");
    const bool has_hash = loader::present(item["key_sha256"]);
    const bool has_plain = loader::present(item["key"]);
    if (has_hash == has_plain) l.fail(item, path, "give exactly one of key_sha256 and key");
    if (has_hash) {
      const auto digest = parse_sha256_hex(l.string(item["key_sha256"], path + ".key_sha256"));
      if (!digest) l.fail(item["key_sha256"], path + ".key_sha256", "expected 64 hex characters");
      entry.key_sha256 = to_hex(*digest);
    } else {
      std::string plain = l.string(item["key"], path + ".key");
      if (plain.empty()) l.fail(item["key"], path + ".key", "must not be empty");
      entry.key_sha256 = sha256_hex(plain);
      secure_wipe(plain);
    }
    if (auto n = item["team"]; loader::present(n)) {
      entry.team = l.non_empty_string(n, path + ".team");
      if (has_control_char(entry.team)) l.fail(n, path + ".team", "control characters are not allowed");
    }
    if (auto n = item["limits"]; loader::present(n)) entry.limits.key = l.limits(n, path + ".limits");
    if (auto n = item["model_limits"]; loader::present(n)) {
      l.expect_map(n, path + ".model_limits");
      for (const auto& m : n) {
        const std::string model = loader::name_of(m.first);
        const std::string mpath = loader::join(path + ".model_limits", model);
        if (model.empty() || has_control_char(model))
          l.fail(m.first, path + ".model_limits", "a model name must be non-empty, without control characters");
        entry.limits.per_model[model] = l.limits(m.second, mpath, false);
      }
    }
    if (auto n = item["reserve_output_tokens"]; loader::present(n))
      entry.limits.reserve_output_tokens = l.integer<std::uint64_t>(n, path + ".reserve_output_tokens", 0, 10'000'000);
    if (auto n = item["budgets"]; loader::present(n)) entry.limits.budgets = l.budgets(n, path + ".budgets");
    // The team's budgets (teams:, read before keys:) bind its keys.
    entry.limits.team = entry.team;
    if (auto t = cfg.team_budgets.find(entry.team); t != cfg.team_budgets.end()) entry.limits.team_budgets = t->second;
    if (!names.insert(entry.name).second) l.fail(item, path + ".name", "duplicate key name \"" + entry.name + "\"");
    if (!hashes.insert(entry.key_sha256).second) {
      l.fail(item, path, "the same key is listed twice (also under another name)");
    }
    cfg.keys.push_back(std::move(entry));
  }
}

// teams: — before keys:, whose `team:` takes the team's budgets.
void load_teams(const loader& l, const YAML::Node& node, config& cfg) {
  if (!node.IsSequence()) l.fail(node, "teams", "expected a list of teams ({name, budgets})");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = loader::index("teams", i);
    const YAML::Node item = node[i];
    l.check_fields(item, path, {"name", "budgets"});
    if (!loader::present(item["name"])) l.fail(item, path, "a team needs a name");
    const std::string name = l.non_empty_string(item["name"], path + ".name");
    l.check_name(item["name"], path + ".name", name);
    std::vector<budget> budgets;
    if (auto n = item["budgets"]; loader::present(n)) budgets = l.budgets(n, path + ".budgets");
    if (!cfg.team_budgets.emplace(name, std::move(budgets)).second)
      l.fail(item["name"], path + ".name", "duplicate team \"" + name + "\"");
  }
}

void load_aliases(const loader& l, const YAML::Node& node, config& cfg) {
  l.expect_map(node, "aliases");
  for (const auto& item : node) {
    const std::string name = loader::name_of(item.first);
    const std::string path = loader::join("aliases", name);
    if (name.empty()) l.fail(item.first, "aliases", "an alias needs a name");
    // Not `path`: it would carry the control character into the message.
    if (has_control_char(name)) l.fail(item.first, "aliases", "an alias name must not contain control characters");
    cfg.aliases[name] = l.model_id(item.second, path);
  }
  // Reject cycles and over-long chains now, so resolution can never loop.
  for (const auto& [name, first_target] : cfg.aliases) {
    std::vector<std::string_view> chain{name};
    std::string_view target = first_target;
    for (auto it = cfg.aliases.find(target); it != cfg.aliases.end(); it = cfg.aliases.find(target)) {
      const bool cycle = std::find(chain.begin(), chain.end(), target) != chain.end();
      chain.push_back(target);
      if (cycle || static_cast<int>(chain.size()) > k_max_alias_hops) {
        std::string shown;
        for (std::string_view c : chain) shown += (shown.empty() ? "" : " -> ") + std::string(c);
        l.fail(node[name], loader::join("aliases", name), (cycle ? "alias cycle: " : "alias chain too long: ") + shown);
      }
      target = it->second;
    }
  }
}

// A model group written as an object: everything but its deployments.
group_policy load_group_policy(const loader& l, const YAML::Node& node, const std::string& path) {
  l.check_fields(node, path,
                 {"strategy", "latency_target_ms", "max_attempts", "retry_budget_ms", "retry_on", "cooldown",
                  "timeouts", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "hedge_after_ms",
                  "hedge", "hedge_max_ratio", "deployments"});
  group_policy g;
  if (auto n = node["fallbacks"]; loader::present(n)) g.fallbacks = l.model_list(n, path + ".fallbacks");
  if (auto n = node["context_window_fallbacks"]; loader::present(n))
    g.context_window_fallbacks = l.model_list(n, path + ".context_window_fallbacks");
  if (auto n = node["content_policy_fallbacks"]; loader::present(n))
    g.content_policy_fallbacks = l.model_list(n, path + ".content_policy_fallbacks");
  if (auto n = node["strategy"]; loader::present(n)) {
    const std::string s = l.string(n, path + ".strategy");
    if (s == "weighted") {
      g.strategy = balance_strategy::weighted;
    } else if (s == "least_busy") {
      g.strategy = balance_strategy::least_busy;
    } else if (s == "latency") {
      g.strategy = balance_strategy::latency;
    } else if (s == "cost") {
      g.strategy = balance_strategy::cost;
    } else {
      l.fail(n, path + ".strategy", "expected weighted, least_busy, latency or cost, got \"" + s + "\"");
    }
  }
  if (auto n = node["latency_target_ms"]; loader::present(n)) {
    g.latency_target = l.millis(n, path + ".latency_target_ms");
    // Only the cost strategy reads it: elsewhere it would be a setting that does nothing.
    if (g.strategy != balance_strategy::cost) l.fail(n, path + ".latency_target_ms", "applies only to strategy: cost");
  }
  if (auto n = node["max_attempts"]; loader::present(n))
    g.max_attempts = l.integer<unsigned>(n, path + ".max_attempts", 1, 20);
  if (auto n = node["retry_budget_ms"]; loader::present(n)) g.retry_budget = l.millis(n, path + ".retry_budget_ms");
  if (auto n = node["retry_on"]; loader::present(n)) {
    if (!n.IsSequence()) l.fail(n, path + ".retry_on", "expected a list of HTTP statuses and/or connect");
    g.retry_on.clear();
    g.retry_on_connect = false;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string ipath = loader::index(path + ".retry_on", i);
      if (n[i].IsScalar() && n[i].Scalar() == "connect") {
        g.retry_on_connect = true;
        continue;
      }
      const int status = l.integer<int>(n[i], ipath, 400, 599);
      if (status == 400 || status == 401 || status == 403 || status == 404) {
        l.fail(n[i], ipath,
               "a " + std::to_string(status) + " is never retried (the same request gets the same answer)");
      }
      g.retry_on.push_back(status);
    }
  }
  if (auto n = node["cooldown"]; loader::present(n)) {
    const std::string cpath = path + ".cooldown";
    l.check_fields(n, cpath, {"failures", "window_ms", "duration_ms"});
    if (auto f = n["failures"]; loader::present(f))
      g.cooldown.failures = l.integer<unsigned>(f, cpath + ".failures", 1, 1000);
    if (auto f = n["window_ms"]; loader::present(f)) g.cooldown.window = l.millis(f, cpath + ".window_ms");
    if (auto f = n["duration_ms"]; loader::present(f)) g.cooldown.duration = l.millis(f, cpath + ".duration_ms");
  }
  if (auto n = node["hedge_after_ms"]; loader::present(n)) g.hedge_after = l.millis(n, path + ".hedge_after_ms");
  if (auto n = node["hedge"]; loader::present(n)) {
    if (g.hedge_after) l.fail(n, path + ".hedge", "give either hedge_after_ms or hedge, not both");
    if (l.string(n, path + ".hedge") != "p95")
      l.fail(n, path + ".hedge", "expected p95 (the deployment's measured p95 time to first byte)");
    g.hedge_p95 = true;
  }
  if (auto n = node["hedge_max_ratio"]; loader::present(n)) {
    g.hedge_max_ratio = l.share(n, path + ".hedge_max_ratio");
  }
  if (auto n = node["timeouts"]; loader::present(n)) {
    const std::string tpath = path + ".timeouts";
    l.check_fields(n, tpath, {"connect_ms", "first_byte_ms", "total_ms", "idle_ms"});
    if (auto f = n["connect_ms"]; loader::present(f)) g.connect_timeout = l.millis(f, tpath + ".connect_ms");
    if (auto f = n["first_byte_ms"]; loader::present(f)) g.first_byte_timeout = l.millis(f, tpath + ".first_byte_ms");
    if (auto f = n["total_ms"]; loader::present(f)) g.total_timeout = l.millis(f, tpath + ".total_ms");
    if (auto f = n["idle_ms"]; loader::present(f)) g.idle_timeout = l.millis(f, tpath + ".idle_ms");
  }
  return g;
}

void load_groups(const loader& l, const YAML::Node& node, config& cfg) {
  l.expect_map(node, "model_groups");
  for (const auto& item : node) {
    const std::string name = loader::name_of(item.first);
    const std::string path = loader::join("model_groups", name);
    if (name.empty()) l.fail(item.first, "model_groups", "a model group needs a name");
    if (has_control_char(name)) {
      l.fail(item.first, "model_groups", "a model group name must not contain control characters");
    }
    if (cfg.aliases.contains(name)) l.fail(item.first, path, "\"" + name + "\" is both an alias and a model group");
    YAML::Node list = item.second;
    if (list.IsMap()) {
      cfg.group_policies[name] = load_group_policy(l, list, path);
      list = list["deployments"];
      if (!loader::present(list)) l.fail(item.first, path, "a model group needs deployments");
    }
    if (!list.IsSequence() || list.size() == 0) l.fail(list, path, "expected a non-empty list of deployments");
    std::vector<deployment_entry> deployments;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string dpath = loader::index(path, i);
      const YAML::Node d = list[i];
      l.check_fields(d, dpath, {"provider", "model", "weight", "limits", "price"});
      if (!loader::present(d["provider"])) l.fail(d, dpath, "a deployment needs a provider");
      if (!loader::present(d["model"])) l.fail(d, dpath, "a deployment needs a model");
      deployment_entry entry;
      entry.provider = l.non_empty_string(d["provider"], dpath + ".provider");
      // Whether the provider exists is known only once demo mode has added
      // its own (the router checks); its error still names this line.
      entry.where = l.source() + ":" + std::to_string(d["provider"].Mark().line + 1);
      entry.model = l.model_id(d["model"], dpath + ".model");
      if (auto n = d["weight"]; loader::present(n)) {
        entry.weight = l.integer<unsigned>(n, dpath + ".weight", 0, 1'000'000);
      }
      if (auto n = d["limits"]; loader::present(n)) entry.limits = l.limits(n, dpath + ".limits");
      if (auto n = d["price"]; loader::present(n)) entry.price = l.price(n, dpath + ".price");
      deployments.push_back(std::move(entry));
    }
    cfg.model_groups[name] = std::move(deployments);
  }
}

void load_limits(const loader& l, const YAML::Node& node, limits_config& c) {
  l.check_fields(node, "limits", {"on_store_error", "reserve_output_tokens"});
  if (auto n = node["on_store_error"]; loader::present(n)) {
    const std::string policy = l.string(n, "limits.on_store_error");
    if (policy == "fail_open") {
      c.on_store_error = limits_config::store_error_policy::fail_open;
    } else if (policy == "fail_closed") {
      c.on_store_error = limits_config::store_error_policy::fail_closed;
    } else {
      l.fail(n, "limits.on_store_error", "expected fail_open or fail_closed, got \"" + policy + "\"");
    }
  }
  if (auto n = node["reserve_output_tokens"]; loader::present(n))
    c.reserve_output_tokens = l.integer<std::uint64_t>(n, "limits.reserve_output_tokens", 0, 10'000'000);
}

// usage: — see config/usage_config.hpp.
void load_usage(const loader& l, const YAML::Node& node, usage_config& u) {
  l.check_fields(node, "usage", {"enabled", "sqlite_path", "spool_dir"});
  if (auto n = node["enabled"]; loader::present(n)) u.enabled = l.boolean(n, "usage.enabled");
  if (auto n = node["sqlite_path"]; loader::present(n)) u.sqlite_path = l.non_empty_string(n, "usage.sqlite_path");
  if (auto n = node["spool_dir"]; loader::present(n)) u.spool_dir = l.non_empty_string(n, "usage.spool_dir");
}

// cache: — see config/cache_config.hpp. Read after keys:, whose names
// `namespaces` refers to.
void load_cache(const loader& l, const YAML::Node& node, config& cfg) {
  l.check_fields(node, "cache", {"backend", "ttl", "max_bytes", "store_truncated", "groups", "namespaces"});
  cache_config& c = cfg.cache;
  std::string backend;
  if (auto n = node["backend"]; loader::present(n)) {
    backend = l.string(n, "cache.backend");
    if (backend != "memory" && backend != "redis" && backend != "off") {
      l.fail(n, "cache.backend", "expected memory, redis or off, got \"" + backend + "\"");
    }
  } else {
    const auto redis_url = l.env()("REDIS_URL");
    backend = redis_url && !redis_url->empty() ? "redis" : "memory";
  }
  if (backend == "redis") {
    const auto redis_url = l.env()("REDIS_URL");
    if (!redis_url || redis_url->empty()) {
      l.fail(node["backend"], "cache.backend", "redis needs REDIS_URL (redis://host:port) in the environment");
    }
  }
  // Each worker then caches through its own Redis client (cache/redis_cache.hpp).
  c.redis_requested = backend == "redis";
  c.backend = backend == "off" ? cache_backend::off : cache_backend::memory;
  constexpr std::uint64_t k_max_ttl = 365ull * 24 * 3600;
  if (auto n = node["ttl"]; loader::present(n)) {
    c.ttl = std::chrono::seconds(l.integer<std::int64_t>(n, "cache.ttl", 1, k_max_ttl));
  }
  if (auto n = node["max_bytes"]; loader::present(n)) {
    c.max_bytes = l.integer<std::size_t>(n, "cache.max_bytes", 1024 * 1024, 1ull << 40);
  }
  if (auto n = node["store_truncated"]; loader::present(n)) c.store_truncated = l.boolean(n, "cache.store_truncated");
  if (auto groups = node["groups"]; loader::present(groups)) {
    l.expect_map(groups, "cache.groups");
    for (const auto& item : groups) {
      const std::string name = loader::name_of(item.first);
      const std::string path = "cache.groups." + name;
      cache_group_config g;
      if (loader::present(item.second)) {
        l.check_fields(item.second, path, {"ttl", "enabled"});
        if (auto n = item.second["ttl"]; loader::present(n)) {
          g.ttl = std::chrono::seconds(l.integer<std::int64_t>(n, path + ".ttl", 1, k_max_ttl));
        }
        if (auto n = item.second["enabled"]; loader::present(n)) g.enabled = l.boolean(n, path + ".enabled");
      }
      c.groups[name] = g;
    }
  }
  if (auto spaces = node["namespaces"]; loader::present(spaces)) {
    l.expect_map(spaces, "cache.namespaces");
    for (const auto& item : spaces) {
      const std::string name = loader::name_of(item.first);
      const std::string path = "cache.namespaces." + name;
      if (name.empty()) l.fail(item.first, path, "a namespace needs a name");
      if (!item.second.IsSequence()) l.fail(item.second, path, "expected a list of key names");
      for (std::size_t i = 0; i < item.second.size(); ++i) {
        const std::string key = l.non_empty_string(item.second[i], loader::index(path, i));
        const bool known = std::any_of(cfg.keys.begin(), cfg.keys.end(), [&](const auto& k) { return k.name == key; });
        if (!known && key != "master")
          l.fail(item.second[i], loader::index(path, i), "no key is named \"" + key + "\"");
        if (!c.namespaces.emplace(key, name).second) {
          l.fail(item.second[i], loader::index(path, i), "key \"" + key + "\" is in two namespaces");
        }
      }
    }
  }
}

// prices: { model: {input_per_mtok…} }
void load_prices(const loader& l, const YAML::Node& node, config& cfg) {
  l.expect_map(node, "prices");
  for (const auto& item : node) {
    const std::string name = loader::name_of(item.first);
    if (name.empty() || has_control_char(name)) {
      l.fail(item.first, "prices", "a model name must be non-empty, without control characters");
    }
    cfg.prices[name] = l.price(item.second, loader::join("prices", name));
  }
}

void load_yaml(const loader& l, std::string_view text, config& cfg) {
  if (text.find(k_ref_open) != std::string_view::npos || text.find(k_ref_close) != std::string_view::npos) {
    throw config_error(l.source() + ": the characters U+E000 and U+E001 are reserved and may not appear");
  }
  YAML::Node root;
  const std::string protected_text = protect_references(text);
  try {
    root = YAML::Load(protected_text);
  } catch (const YAML::ParserException& e) {
    throw config_error(l.source() + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                       ": invalid YAML: " + e.msg);
  }
  // yaml-cpp would keep one of the two values without a word.
  if (auto d = find_duplicate_key(protected_text)) {
    throw config_error(l.source() + ":" + std::to_string(d->line) + ": " + restore_references(d->path) +
                       ": duplicate key (first at line " + std::to_string(d->first_line) + ")");
  }
  if (!loader::present(root)) return;  // an empty file is a valid, empty config
  l.check_fields(root, "",
                 {"server", "upstream", "access_log", "metrics", "limits", "providers", "teams", "keys", "aliases",
                  "model_groups", "cache", "usage", "prices_file", "prices"});
  if (auto n = root["server"]; loader::present(n)) load_server(l, n, cfg.server);
  if (auto n = root["access_log"]; loader::present(n)) load_access_log(l, n, cfg.access_log);
  if (auto n = root["metrics"]; loader::present(n)) load_metrics(l, n, cfg.metrics);
  if (auto n = root["upstream"]; loader::present(n)) load_upstream(l, n, cfg.upstream);
  if (auto n = root["limits"]; loader::present(n)) load_limits(l, n, cfg.limits);
  if (auto n = root["providers"]; loader::present(n)) load_providers(l, n, cfg);
  if (auto n = root["teams"]; loader::present(n)) load_teams(l, n, cfg);
  if (auto n = root["keys"]; loader::present(n)) load_keys(l, n, cfg);
  if (auto n = root["aliases"]; loader::present(n)) load_aliases(l, n, cfg);
  if (auto n = root["model_groups"]; loader::present(n)) load_groups(l, n, cfg);
  if (auto n = root["cache"]; loader::present(n)) load_cache(l, n, cfg);
  if (auto n = root["usage"]; loader::present(n)) load_usage(l, n, cfg.usage);
  if (auto n = root["prices_file"]; loader::present(n)) cfg.prices_file = l.non_empty_string(n, "prices_file");
  if (auto n = root["prices"]; loader::present(n)) load_prices(l, n, cfg);
}

// Credentials and versions go into upstream request headers: a control
// character (a trailing newline from a key file, say) would break or forge
// the request head. Values from the environment are checked here; the
// message names the variable's vendor and field, never the value.
void check_credentials(const config& cfg) {
  for (const auto& p : cfg.providers) {
    if (!p.enabled) continue;
    const std::pair<std::string_view, const std::string*> fields[] = {
        {"api_key", &p.api_key},
        {"api_version", &p.api_version},
        {"AWS access key id", &p.aws_access_key_id},
        {"AWS secret access key", &p.aws_secret_access_key},
        {"AWS session token", &p.aws_session_token},
        {"AWS region", &p.aws_region},
    };
    for (const auto& [what, value] : fields) {
      if (has_control_char(*value)) {
        throw config_error("provider " + p.name + ": the " + std::string(what) +
                           " contains control characters (a trailing newline?)");
      }
    }
  }
}

config load(std::optional<std::string_view> yaml_text, const env_lookup& env, std::string source) {
  config cfg;
  cfg.source = source;
  try {
    cfg.providers = builtin_vendors(env);
  } catch (const std::invalid_argument& e) {
    throw config_error(std::string("environment: ") + e.what());
  }
  if (yaml_text) {
    const loader l(std::move(source), env);
    try {
      load_yaml(l, *yaml_text, cfg);
    } catch (const YAML::Exception& e) {
      // Anything yaml-cpp raises past the checks above is still a config problem.
      throw config_error(l.source() + ": " + e.what());
    }
  }
  check_credentials(cfg);
  // Shared limits (and, later, the shared cache) between instances.
  if (auto redis = env("REDIS_URL"); redis && !redis->empty()) cfg.redis_url = *redis;
  if (auto cluster = env("REDIS_CLUSTER"); cluster && !cluster->empty()) {
    if (*cluster != "0" && *cluster != "1" && *cluster != "true" && *cluster != "false")
      throw config_error("environment: REDIS_CLUSTER: expected 1 or 0 (true or false), got \"" + *cluster + "\"");
    cfg.redis_cluster = *cluster == "1" || *cluster == "true";
  }
  if (auto db = env("DATABASE_URL"); db && !db->empty()) {
    // The value may hold a password: the message shows only the scheme rule.
    if (!db->starts_with("postgres://") && !db->starts_with("postgresql://"))
      throw config_error("environment: DATABASE_URL: expected a postgres:// or postgresql:// URL");
    cfg.usage.database_url = *db;
  }
  if (auto master = env("LLMGW_MASTER_KEY"); master && !master->empty()) {
    cfg.master_key_sha256 = sha256_hex(*master);
    secure_wipe(*master);
  }
  return cfg;
}

}  // namespace

config load_config(const std::string* yaml_path, env_lookup env) {
  if (!env) env = process_env();
  if (yaml_path == nullptr) return load(std::nullopt, env, "environment");
  std::ifstream in(*yaml_path, std::ios::binary);
  if (!in) throw config_error(*yaml_path + ": cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw config_error(*yaml_path + ": cannot read the config file");
  return load(text.str(), env, *yaml_path);
}

config load_config_from_string(std::string_view yaml_text, env_lookup env, std::string source) {
  if (!env) env = process_env();
  return load(yaml_text, env, std::move(source));
}

void add_provider(config& cfg, provider_config provider) {
  for (auto& p : cfg.providers) {
    if (p.name == provider.name) {
      p = std::move(provider);
      return;
    }
  }
  cfg.providers.push_back(std::move(provider));
}

const provider_config* find_provider(const config& cfg, std::string_view name) {
  for (const auto& p : cfg.providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string describe(const config& cfg) {
  std::ostringstream out;
  out << "config: " << cfg.source << "\n";
  out << "server: " << cfg.server.host << ":" << cfg.server.port << ", workers "
      << (cfg.server.workers == 0 ? std::string("auto") : std::to_string(cfg.server.workers)) << ", max body "
      << cfg.server.max_body_bytes << " bytes\n";
  out << "providers:\n";
  std::string disabled;
  for (const auto& p : cfg.providers) {
    if (!p.enabled) {
      disabled += (disabled.empty() ? "" : ", ") + p.name;
      continue;
    }
    // Credentials are shown only as set/none: this text goes to logs.
    out << "  " << p.name << " " << p.base_url;
    if (p.kind == provider_kind::bedrock) {
      // SigV4 signs with the AWS key pair; Bedrock has no API key.
      const bool set = !p.aws_access_key_id.empty() && !p.aws_secret_access_key.empty();
      out << " AWS credentials: " << (set ? "set" : "none")
          << (p.aws_session_token.empty() ? "" : " (with session token)") << ", region " << p.aws_region << "\n";
    } else {
      out << " key: " << (p.api_key.empty() ? "none" : "set") << "\n";
    }
  }
  if (!disabled.empty()) out << "  (not configured: " << disabled << ")\n";
  out << "gateway keys:" << (cfg.master_key_sha256 ? " master" : "");
  for (const auto& k : cfg.keys) out << " " << k.name;
  out << "\n";
  for (const auto& [name, target] : cfg.aliases) out << "alias " << name << " -> " << target << "\n";
  for (const auto& [name, deployments] : cfg.model_groups) {
    out << "group " << name << ":";
    for (const auto& d : deployments) out << " " << d.provider << "/" << d.model << " (weight " << d.weight << ")";
    out << "\n";
  }
  if (cfg.cache.backend != cache_backend::off) {
    if (cfg.cache.redis_requested) {
      out << "response cache: redis (shared by every instance), ttl " << cfg.cache.ttl.count() << " s\n";
    } else {
      out << "response cache: memory, ttl " << cfg.cache.ttl.count() << " s, max " << cfg.cache.max_bytes << " bytes\n";
    }
  }
  return out.str();
}

}  // namespace llmgw
