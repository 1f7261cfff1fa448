// Subcommands and wiring only: every piece of behaviour lives in the core
// library (see src/README.md for the life of a request).
#include <CLI/CLI.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <unistd.h>

#include "api/gateway.hpp"
#include "api/shared_cooldown.hpp"
#include "config/config.hpp"
#include "core/sha256.hpp"
#include "core/version.hpp"
#include "cost/builtin_prices.hpp"
#include "cost/price_reloader.hpp"
#include "http/worker_pool.hpp"
#include "limits/redis_limiter.hpp"
#include "mock/mock_vendor.hpp"
#include "usage/access_log_sink.hpp"
#include "usage/database_sink.hpp"
#include "usage/postgres_store.hpp"
#include "usage/record_writer.hpp"
#include "usage/sqlite_store.hpp"

namespace {

// Accepted in demo mode only, when no gateway key is configured at all, so
// the quickstart works at once; demo mode talks to the in-process mock only.
constexpr std::string_view k_demo_key = "sk-llmgw-demo";

struct serve_args {
  std::string config_path;
  std::string host;
  int port = -1;
  int workers = -1;
  bool reuse_port = false;
  bool access_log = true;
};

// Why a listener could not start, with a hint when the port is taken.
std::string listen_failure(const std::exception& e) {
  // Boost's what() carries its own source location; the code's message is what a user needs.
  const auto* se = dynamic_cast<const boost::system::system_error*>(&e);
  std::string why = se != nullptr ? se->code().message() : e.what();
  if (se != nullptr && se->code() == boost::asio::error::address_in_use) {
    why +=
        " (another process listens on this port; pick another port, or pass --reuse-port to share it with "
        "that process)";
  }
  return why;
}

int run_serve(const serve_args& args) {
  using namespace llmgw;
  config cfg;
  try {
    cfg = load_config(args.config_path.empty() ? nullptr : &args.config_path, process_env());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmgw: configuration error: %s\n", e.what());
    return 2;
  }
  if (!args.host.empty()) cfg.server.host = args.host;
  if (args.port >= 0) cfg.server.port = static_cast<std::uint16_t>(args.port);
  if (args.workers >= 0) cfg.server.workers = static_cast<unsigned>(args.workers);
  if (args.reuse_port) cfg.server.reuse_port = true;
  if (cfg.server.workers == 0) cfg.server.workers = std::max(1u, std::thread::hardware_concurrency());

  bool any_enabled = false;
  for (const auto& p : cfg.providers) any_enabled = any_enabled || p.enabled;

  // Demo mode: no vendor key anywhere, so serve `mock/...` from an
  // in-process mock vendor instead of refusing every request.
  std::unique_ptr<mock::mock_vendor_thread> demo_vendor;
  if (!any_enabled) {
    mock::mock_options mo;
    mo.host = "127.0.0.1";
    mo.port = 0;
    demo_vendor = std::make_unique<mock::mock_vendor_thread>(mo);
    auto url = "http://127.0.0.1:" + std::to_string(demo_vendor->port()) + "/v1";
    add_provider(
        cfg, make_openai_compatible("mock", url, "sk-mock-demo", {"gpt-4o-mini", "gpt-4o", "text-embedding-3-small"}));
    std::fprintf(stderr,
                 "llmgw: demo mode: no vendor API key is set (e.g. OPENAI_API_KEY), so an in-process mock vendor "
                 "serves models named mock/<anything>, e.g. mock/gpt-4o-mini.\n");
    if (cfg.keys.empty() && !cfg.master_key_sha256) {
      key_entry demo;
      demo.name = "demo";
      demo.key_sha256 = sha256_hex(k_demo_key);
      cfg.keys.push_back(std::move(demo));
      std::fprintf(stderr, "llmgw: demo mode: no gateway key is configured; the demo key %.*s is accepted.\n",
                   static_cast<int>(k_demo_key.size()), k_demo_key.data());
    }
  } else if (cfg.keys.empty() && !cfg.master_key_sha256) {
    std::fprintf(stderr,
                 "llmgw: warning: no gateway key is configured (set LLMGW_MASTER_KEY or `keys:` in the config): "
                 "every request will be refused with 401.\n");
  }

  std::shared_ptr<const api::gateway_state> state;
  try {
    state = std::make_shared<const api::gateway_state>(std::move(cfg), demo_vendor != nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmgw: configuration error: %s\n", e.what());
    return 2;
  }
  for (const auto& w : state->routes.warnings()) std::fprintf(stderr, "llmgw: warning: %s\n", w.c_str());
  std::fprintf(stderr, "%s\n", describe(state->cfg).c_str());
  // With Redis the groups' cooldowns are shared by every instance: a thread
  // of its own keeps this process's view in step, started before the
  // workers and stopped after them.
  std::unique_ptr<api::shared_cooldown> cooldowns;
  if (!state->cfg.redis_url.empty()) {
    try {
      std::fprintf(
          stderr, "%s\n",
          limits::check_redis_at_start(state->cfg.redis_url, state->cfg.redis_cluster, state->cfg.limits.on_store_error)
              .c_str());
      cooldowns = std::make_unique<api::shared_cooldown>(*state->health, api::cooldown_names(state->routes),
                                                         state->cfg.redis_url, state->cfg.redis_cluster);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "llmgw: configuration error: %s\n", e.what());
      return 2;
    }
    if (cooldowns->shared() > 0) {
      cooldowns->start();
      std::fprintf(stderr, "llmgw: cooldowns: %zu group deployments shared through Redis (read every %lld ms)\n",
                   cooldowns->shared(), static_cast<long long>(api::shared_cooldown::k_poll_every.count()));
    }
  }

  // Finished requests go to one background writer thread: a worker hands
  // each record to its own queue and never waits for the log's disk or the
  // usage database.
  std::unique_ptr<usage::record_writer> records;
  std::vector<std::unique_ptr<usage::record_sink>> sinks;
  try {
    if (args.access_log) {
      const std::string& path = state->cfg.access_log.path;
      if (path.empty()) {
        sinks.push_back(std::make_unique<usage::access_log_sink>(STDOUT_FILENO));
      } else {
        sinks.push_back(std::make_unique<usage::access_log_sink>(usage::open_access_log_file(path), true));
      }
    }
    const auto& uc = state->cfg.usage;
    if (uc.enabled) {
      std::unique_ptr<usage::usage_store> store;
      if (!uc.database_url.empty()) {
        store = std::make_unique<usage::postgres_store>(uc.database_url);
      } else {
        store = std::make_unique<usage::sqlite_store>(uc.sqlite_path);
      }
      usage::database_sink_options so;
      so.spool_dir = uc.spool_dir;
      auto sink = std::make_unique<usage::database_sink>(std::move(store), so);
      state->metrics->watch_database(sink->status());
      std::fprintf(stderr, "llmgw: usage records: %s (spool %s)\n", sink->describe().c_str(),
                   sink->spool_path().c_str());
      sinks.push_back(std::move(sink));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmgw: configuration error: %s\n", e.what());
    return 2;
  }
  if (!sinks.empty()) records = std::make_unique<usage::record_writer>(std::move(sinks));
  state->metrics->watch_usage(records.get());

  const auto& sc = state->cfg.server;
  http::server_options opts;
  opts.host = sc.host;
  opts.port = sc.port;
  opts.max_body_bytes = sc.max_body_bytes;
  opts.read_timeout = sc.read_timeout;
  opts.idle_timeout = sc.idle_timeout;
  opts.max_header_bytes = sc.max_header_bytes;
  opts.max_buffer_bytes = sc.max_buffer_bytes;
  opts.max_connections = sc.max_connections;
  opts.share_port = sc.reuse_port;

  // Prices follow their file without a restart: SIGHUP, or a change seen
  // within a second. Started before "listening" is printed, so a SIGHUP
  // sent as soon as it shows reloads instead of ending the process.
  cost::price_reloader price_reloader(*state->prices, state->cfg.prices_file, state->prices->snapshot()->configured,
                                      &cost::builtin_prices());
  price_reloader.start();
  if (const auto& file = state->prices->snapshot()->file) {
    std::fprintf(stderr, "llmgw: prices: %zu models from %s, over %zu built-in\n", file->size(),
                 state->cfg.prices_file.c_str(), cost::builtin_prices().size());
  }

  http::worker_pool pool(sc.workers);
  // Before "listening" is printed: whoever reads it may send SIGTERM at once.
  pool.catch_signals();
  try {
    pool.start(opts, [state, &records](boost::asio::io_context& ioc, memory_budget& budget) {
      usage::record_queue* queue = records ? &records->add_queue() : nullptr;
      auto gw = std::make_shared<api::gateway>(ioc, state, budget, queue);
      return http::worker_handlers{
          [gw](http::request& req, http::response_writer& out) { return gw->handle(req, out); },
          &api::gateway::render_protocol_error, [gw](const http::rejected_request& r) { gw->record_rejection(r); }};
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmgw: cannot listen on %s:%u: %s\n", opts.host.c_str(), opts.port,
                 listen_failure(e).c_str());
    return 1;
  }
  std::fprintf(stderr, "llmgw: at most %zu client connections (server.max_connections%s)\n", pool.max_connections(),
               sc.max_connections == 0 ? ", from the descriptor limit" : "");
  std::printf("llmgw listening on http://%s:%u\n", opts.host.c_str(), pool.port());
  std::fflush(stdout);
  if (records) records->start();
  pool.run_until_signalled(sc.drain_timeout);
  cooldowns.reset();
  // The workers have stopped, so every record is queued: write them all.
  if (records) records->stop();
  std::fprintf(stderr, "llmgw: stopped\n");
  return 0;
}

struct mock_args {
  std::string host = "127.0.0.1";
  int port = 9090;
  int workers = 1;
  std::string api_key;
  std::string anthropic_api_key;
  std::string gemini_api_key;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string script;  // default behaviour, in the marker syntax: "status=503,latency_ms=20"
  bool record = true;
};

int run_mock(const mock_args& args) {
  using namespace llmgw;
  const std::string& host = args.host;
  const int port = args.port;
  const int workers = args.workers;
  mock::mock_options mo;
  mo.host = host;
  mo.port = static_cast<std::uint16_t>(port);
  mo.api_key = args.api_key;
  mo.anthropic_api_key = args.anthropic_api_key;
  mo.gemini_api_key = args.gemini_api_key;
  mo.aws_access_key_id = args.aws_access_key_id;
  mo.aws_secret_access_key = args.aws_secret_access_key;
  mo.record_last_request = args.record;
  if (!args.script.empty() && mock::apply_markers("[mock:" + args.script + "]", mo.defaults) == 0) {
    std::fprintf(stderr, "mock-vendor: --script: nothing understood in \"%s\"\n", args.script.c_str());
    return 2;
  }
  unsigned n = workers > 0 ? static_cast<unsigned>(workers) : 1;
  http::worker_pool pool(n);
  pool.catch_signals();
  auto shared = std::make_shared<mock::mock_vendor>(mo);
  try {
    http::server_options opts;
    opts.host = host;
    opts.port = mo.port;
    pool.start(opts, [shared](boost::asio::io_context&, memory_budget&) {
      return http::worker_handlers{shared->handler(), &mock::mock_vendor::render_protocol_error, {}};
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mock-vendor: cannot listen on %s:%d: %s\n", host.c_str(), port, listen_failure(e).c_str());
    return 1;
  }
  std::printf("mock-vendor listening on http://%s:%u\n", host.c_str(), pool.port());
  std::fflush(stdout);
  pool.run_until_signalled();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that hangs up must not kill the process
  CLI::App app{"llmgw: one OpenAI-compatible endpoint in front of many LLM vendors"};
  app.name("llmgw");
  // No subcommand prints the help below instead of an error.
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "llmgw " + std::string(llmgw::k_version));

  serve_args sargs;
  auto* serve = app.add_subcommand("serve", "Run the gateway");
  serve->add_option("--config", sargs.config_path, "YAML configuration file")->check(CLI::ExistingFile);
  serve->add_option("--host", sargs.host, "Address to listen on (default 0.0.0.0)");
  serve->add_option("--port", sargs.port, "Port to listen on (default 8080; 0 picks a free port)")
      ->check(CLI::Range(0, 65535));
  // The same range as server.workers in the file.
  serve->add_option("--workers", sargs.workers, "Worker threads (default 0: one per core)")->check(CLI::Range(0, 1024));
  serve->add_flag("--reuse-port", sargs.reuse_port,
                  "Share the port with another process already listening on it (SO_REUSEPORT); without it a port in "
                  "use stops start-up");
  serve->add_flag("!--no-access-log", sargs.access_log,
                  "Do not print one JSON line per request (usage records are still written: `usage: {enabled: "
                  "false}` turns them off)");

  mock_args margs;
  auto* mock_cmd = app.add_subcommand(
      "mock-vendor",
      "Run the mock vendor: an emulation of the OpenAI, Anthropic, Gemini and Bedrock APIs, for tests and demos");
  mock_cmd->footer(
      "It answers chat completions (streamed or not), embeddings and model lists in each vendor's own format, "
      "errors included. Each request's behaviour can be scripted with x-mock-* headers or [mock:...] markers in the "
      "last user message (tokens, tps, latency_ms, status, tool, reset_after, error_after, hang, ...: see "
      "src/mock/mock_script.hpp); --script sets the default for every request.");
  mock_cmd->add_option("--host", margs.host, "Address to listen on");
  mock_cmd->add_option("--port", margs.port, "Port to listen on (0 picks a free port)")->check(CLI::Range(0, 65535));
  mock_cmd->add_option("--workers", margs.workers, "Worker threads")->check(CLI::Range(1, 1024));
  mock_cmd
      ->add_option("--api-key", margs.api_key,
                   "Require this key from every vendor API: the OpenAI bearer key, Anthropic's x-api-key, Gemini's "
                   "x-goog-api-key, the access key id of Bedrock's signature (default: any non-empty key is "
                   "accepted)")
      ->envname("MOCK_VENDOR_API_KEY");
  mock_cmd->add_option("--anthropic-api-key", margs.anthropic_api_key, "Require this x-api-key instead of --api-key")
      ->envname("MOCK_VENDOR_ANTHROPIC_API_KEY");
  mock_cmd->add_option("--gemini-api-key", margs.gemini_api_key, "Require this Gemini key instead of --api-key")
      ->envname("MOCK_VENDOR_GEMINI_API_KEY");
  mock_cmd
      ->add_option("--aws-access-key-id", margs.aws_access_key_id,
                   "Require this access key id in Bedrock's signature instead of --api-key")
      ->envname("MOCK_VENDOR_AWS_ACCESS_KEY_ID");
  mock_cmd
      ->add_option("--aws-secret-access-key", margs.aws_secret_access_key,
                   "Verify Bedrock's SigV4 signatures with this secret, as AWS does (default: only their shape and "
                   "access key id are checked)")
      ->envname("MOCK_VENDOR_AWS_SECRET_ACCESS_KEY");
  mock_cmd->add_option("--script", margs.script,
                       "Default behaviour of every request, as in markers: e.g. status=503 or tps=20,tokens=100");
  mock_cmd->add_flag("!--no-record", margs.record, "Do not keep the last request for /_mock/last_request");

  auto* keys = app.add_subcommand("keys", "Gateway key tools");
  keys->require_subcommand(0, 1);
  std::string key_to_hash;
  auto* hash = keys->add_subcommand("hash", "Print the SHA-256 of a key, for `keys: [{key_sha256: ...}]`");
  hash->add_option("key", key_to_hash, "The key (read from standard input when omitted)");

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return run_serve(sargs);
  if (mock_cmd->parsed()) return run_mock(margs);
  if (hash->parsed()) {
    if (key_to_hash.empty()) std::getline(std::cin, key_to_hash);
    if (key_to_hash.empty()) {
      std::fprintf(stderr, "llmgw keys hash: no key given\n");
      return 2;
    }
    std::printf("%s\n", llmgw::sha256_hex(key_to_hash).c_str());
    return 0;
  }
  // `llmgw` or `llmgw keys` alone: say what there is to run.
  std::fputs((keys->parsed() ? keys->help() : app.help()).c_str(), stdout);
  return 1;
}
