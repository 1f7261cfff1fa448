#pragma once
// The gateway's configuration: plain structs with defaults, filled once at
// start-up from an optional YAML file and the environment. Everything below
// is immutable after load (main may still override server fields from CLI
// flags and add the demo-mode provider before building the router).
#include "config/cache_config.hpp"
#include "config/env_subst.hpp"
#include "config/group_policy.hpp"
#include "config/limits_config.hpp"
#include "config/price_config.hpp"
#include "config/provider_config.hpp"
#include "config/usage_config.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw {

// Start-up failure in the configuration; the message names the file and the
// YAML path of the bad field (e.g. "gw.yaml:7: server.port: ...").
class config_error : public std::runtime_error {
 public:
  explicit config_error(const std::string& what) : std::runtime_error(what) {}
};

struct server_config {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: any free port (tests)
  unsigned workers = 0;       // 0: one per core
  // Share the port with other processes listening on it (SO_REUSEPORT), e.g.
  // for a zero-downtime restart; off, a port in use stops start-up.
  bool reuse_port = false;
  std::size_t max_body_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers; larger → 431
  // Request bodies and upstream response bodies held in memory at once, per
  // worker; a request that would pass it gets 503 and a closed connection.
  std::size_t max_buffer_bytes = 256 * 1024 * 1024;
  std::size_t max_connections = 0;                  // per process; 0: derived from the descriptor limit
  std::chrono::milliseconds drain_timeout{10'000};  // on SIGTERM: how long requests in flight may finish
};

struct upstream_config {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{120'000};
  std::chrono::milliseconds idle_timeout{120'000};   // between stream events
  std::chrono::milliseconds total_timeout{600'000};  // a whole upstream call, first byte to last
  // Largest non-streamed response body held in memory; larger → 502. Each is
  // also charged to the worker's server.max_buffer_bytes while it is held.
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  unsigned max_attempts = 3;  // over all deployments of a route
};

struct access_log_config {
  std::string path;  // appended to; empty: stdout
};

struct metrics_config {
  // GET /metrics answers anyone by default, as Prometheus scrapes without
  // credentials; true: only the master key (LLMGW_MASTER_KEY).
  bool require_key = false;
};

// A gateway key as stored: only its hash.
struct key_entry {
  std::string name;
  std::string key_sha256;  // 64 lowercase hex
  std::string team;        // empty: none; written to usage records
  key_limits limits;       // `limits`, `model_limits`, `reserve_output_tokens`
};

// One member of a model group.
struct deployment_entry {
  std::string provider;               // provider name (built-in or from `providers:`)
  std::string model;                  // the vendor's model id
  unsigned weight = 1;                // share of first picks; 0: failover only
  rate_limits limits;                 // the vendor quota of this deployment (max_parallel too)
  std::string where;                  // "file:line" of the provider field, for errors found later; may be empty
  std::optional<price_config> price;  // what this deployment costs; absent: the model's price
};

struct config {
  server_config server;
  upstream_config upstream;
  access_log_config access_log;
  metrics_config metrics;
  limits_config limits;
  // Built-in vendors (enabled or not, resolved against the environment) with
  // the YAML `providers:` entries applied: same name overrides, new name appends.
  std::vector<provider_config> providers;
  std::vector<key_entry> keys;
  // teams: each team's budgets, by name (its keys copy them at load).
  std::map<std::string, std::vector<budget>, std::less<>> team_budgets;
  std::optional<std::string> master_key_sha256;  // from LLMGW_MASTER_KEY
  // REDIS_URL: rate limits shared by every instance through Redis; empty:
  // each process limits on its own. May hold a password: never printed.
  std::string redis_url;
  // REDIS_CLUSTER=1: REDIS_URL names one node of a Redis Cluster; the others
  // are learnt from it.
  bool redis_cluster = false;
  std::map<std::string, std::string, std::less<>> aliases;
  std::map<std::string, std::vector<deployment_entry>, std::less<>> model_groups;
  // The groups written as objects: their strategy, retries, cooldown, timeouts.
  std::map<std::string, group_policy, std::less<>> group_policies;
  cache_config cache;  // off unless the YAML has a cache: section
  usage_config usage;  // usage records (SQLite unless DATABASE_URL)
  // A price file in LiteLLM's model_prices_and_context_window.json format;
  // empty: none. Reloaded on SIGHUP and when it changes (cost/price_reloader.hpp).
  std::string prices_file;
  // `prices:` per model name (the vendor's model id, matched like the
  // built-in table's names), over the file's and the built-in prices.
  std::map<std::string, price_config, std::less<>> prices;
  std::string source = "environment";  // the YAML file's path when there is one
};

// Longest alias chain accepted (alias → alias → ... → model).
inline constexpr int k_max_alias_hops = 8;

// Defaults, then the YAML file at *yaml_path (when not null), then the
// environment (vendor keys and URLs, LLMGW_MASTER_KEY). ${VAR} and
// ${VAR:-default} are substituted in every YAML scalar. Unknown fields, wrong
// types, missing variables, alias cycles and duplicate names throw config_error.
config load_config(const std::string* yaml_path, env_lookup env);

// The same from YAML text (tests; `source` names it in error messages).
config load_config_from_string(std::string_view yaml_text, env_lookup env, std::string source = "<string>");

// Adds a provider, replacing any of the same name (demo mode's `mock`).
void add_provider(config& cfg, provider_config provider);

// nullptr when no provider has this name.
const provider_config* find_provider(const config& cfg, std::string_view name);

// A multi-line human summary for the start-up log: enabled vendors and their
// URLs, key names, aliases, groups. Secrets appear only as "set"/"none".
std::string describe(const config& cfg);

}  // namespace llmgw
