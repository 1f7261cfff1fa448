#include "api/shared_cooldown.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <thread>

#include "api/cooldown_store.hpp"
#include "config/config.hpp"
#include "core/json_escape.hpp"
#include "store/redis_client.hpp"
#include "store/redis_url.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

constexpr std::size_t k_none = std::numeric_limits<std::size_t>::max();
// Events waiting for Redis beyond this are dropped: a failure storm against
// a Redis that has stopped answering must not grow without bound (the
// deployment is resting here anyway, and every failure told says as much).
constexpr int k_max_pending = 1024;

std::string instance_id() {
  std::random_device rd;
  const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::shared_ptr<store::redis_client> client_for(asio::io_context& ioc, const std::string& url, bool cluster) {
  auto parsed = store::parse_redis_url(url);
  if (!parsed) throw config_error("REDIS_URL: " + parsed.error().message);
  store::redis_options options;
  options.url = std::move(*parsed);
  // A poll that waits longer is late anyway: the next one starts afresh.
  options.command_timeout = std::chrono::milliseconds(500);
  return store::make_redis_client(ioc, options, cluster);
}

}  // namespace

std::vector<std::string> cooldown_names(const router& routes) {
  std::vector<std::string> names;
  names.reserve(routes.deployments().size());
  for (const auto& d : routes.deployments()) {
    names.push_back(d.rests ? cooldown_name(d.group, d.provider, d.model) : std::string());
  }
  return names;
}

struct shared_cooldown::impl {
  impl(deployment_health& h, std::vector<std::string> all, const std::string& url, bool cluster,
       std::chrono::milliseconds every)
      : health(h),
        client(client_for(ioc, url, cluster)),
        cooldowns(client, instance_id()),
        poll_every(every),
        slot(all.size(), k_none) {
    for (std::size_t d = 0; d < all.size(); ++d) {
      if (all[d].empty()) continue;
      slot[d] = names.size();
      names.push_back(std::move(all[d]));
      deployments.push_back(d);
    }
  }

  // Declared first, destroyed last: the client's socket and every pending
  // coroutine live on it.
  asio::io_context ioc;
  deployment_health& health;
  std::shared_ptr<store::redis_client> client;
  cooldown_store cooldowns;
  std::chrono::milliseconds poll_every;
  std::vector<std::size_t> slot;         // by deployment: its index in names, or k_none
  std::vector<std::string> names;        // the shared ones
  std::vector<std::size_t> deployments;  // names[i] is deployment deployments[i]
  std::atomic<int> pending{0};
  bool failing = false;  // on the thread only
  std::thread thread;

  asio::awaitable<void> poll_loop() {
    asio::steady_timer timer(ioc);
    std::vector<bool> wants(names.size());
    for (;;) {
      for (std::size_t i = 0; i < names.size(); ++i) wants[i] = health.wants_probe(deployments[i]);
      auto r = co_await cooldowns.poll(names, wants, 4 * poll_every);
      const auto now = deployment_health::clock::now();
      if (r) {
        answered();
        for (std::size_t i = 0; i < names.size(); ++i) health.merge(deployments[i], (*r)[i], now);
      } else {
        cannot_ask(r.error().message);
        health.unshare();
      }
      timer.expires_after(poll_every);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // Runs `op` (a call of the store) on the thread, and merges its answer.
  template <class Op>
  void send(std::size_t d, Op op) {
    if (d >= slot.size() || slot[d] == k_none) return;
    if (pending.fetch_add(1, std::memory_order_relaxed) >= k_max_pending) {
      pending.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    asio::post(ioc, [this, d, op = std::move(op)]() mutable {
      asio::co_spawn(ioc, publish(d, std::move(op)), asio::detached);
    });
  }

  template <class Op>
  asio::awaitable<void> publish(std::size_t d, Op op) {
    auto r = co_await op(cooldowns, names[slot[d]]);
    pending.fetch_sub(1, std::memory_order_relaxed);
    if (r) {
      answered();
      health.merge(d, *r, deployment_health::clock::now());
    } else {
      cannot_ask(r.error().message);
    }
  }

  void cannot_ask(const std::string& why) {
    if (failing) return;
    failing = true;
    std::string line =
        R"({"level":"warning","msg":"cooldowns: Redis cannot be asked; each instance rests its deployments on its own","why":)";
    append_json_string(line, why);
    line += "}\n";
    std::fputs(line.c_str(), stderr);
  }
  void answered() {
    if (!failing) return;
    failing = false;
    std::fputs(R"({"level":"info","msg":"cooldowns: Redis answers again; cooldowns are shared again"})"
               "\n",
               stderr);
  }
};

shared_cooldown::shared_cooldown(deployment_health& health, std::vector<std::string> names,
                                 const std::string& redis_url, bool cluster, std::chrono::milliseconds poll_every)
    : impl_(std::make_unique<impl>(health, std::move(names), redis_url, cluster, poll_every)) {}

shared_cooldown::~shared_cooldown() {
  impl_->health.publish_to(nullptr);
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void shared_cooldown::start() {
  if (impl_->names.empty() || impl_->thread.joinable()) return;
  impl_->health.publish_to(this);
  impl_->thread = std::thread([i = impl_.get()] {
    asio::co_spawn(i->ioc, i->poll_loop(), asio::detached);
    i->ioc.run();
  });
}

std::size_t shared_cooldown::shared() const { return impl_->names.size(); }

void shared_cooldown::failed(std::size_t d, const cooldown_policy& p) {
  impl_->send(d, [p](cooldown_store& s, const std::string& name) { return s.failed(name, p); });
}

void shared_cooldown::retry_after(std::size_t d, std::chrono::milliseconds wait) {
  impl_->send(d, [wait](cooldown_store& s, const std::string& name) { return s.retry_after(name, wait); });
}

void shared_cooldown::probe_succeeded(std::size_t d) {
  impl_->send(d, [](cooldown_store& s, const std::string& name) { return s.probe_succeeded(name); });
}

}  // namespace llmgw::api
