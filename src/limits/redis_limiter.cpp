#include "limits/redis_limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "limits/bucket_script.hpp"
#include "limits/memory_limiter.hpp"
#include "limits/take_reply.hpp"
#include "store/redis_client.hpp"
#include "store/redis_cluster.hpp"
#include "store/redis_url.hpp"

namespace llmgw::limits {

namespace asio = boost::asio;

namespace {

std::string_view kind_arg(unit u) {
  switch (u) {
    case unit::requests:
      return "r";
    case unit::tokens:
      return "t";
    case unit::parallel:
      return "p";
    case unit::spend:
      return "s";
  }
  return "r";
}

// The script's next argument: text that reads back as `v` (its tonumber),
// written into the argument itself. Amounts, windows and most changes are
// whole numbers: written as integers, without the shortest-form search
// (which may write 1e+06 where this writes 1000000; tonumber reads both
// alike). A string built apart and moved in, with std::floor a library
// call, was 260 instructions a number, four numbers a request.
void add_number(std::vector<std::string>& args, double v) {
  std::string& out = args.emplace_back();
  if (std::fabs(v) < 1e15 && static_cast<double>(static_cast<std::int64_t>(v)) == v && !(v == 0 && std::signbit(v))) {
    append_number(out, static_cast<std::int64_t>(v));
  } else {
    append_number(out, v);
  }
}

// One key's arguments for the script.
void add_args(unit kind, double amount, double value, std::chrono::milliseconds window,
              std::vector<std::string>& args) {
  args.emplace_back(kind_arg(kind));
  add_number(args, amount);
  add_number(args, value);
  append_number(args.emplace_back(), window.count());
}

void add_args(const charge& c, double value, std::vector<std::string>& keys, std::vector<std::string>& args) {
  keys.push_back(redis_key_of(c));
  add_args(c.kind, c.amount, value, c.window, args);
}

}  // namespace

std::string redis_key_of(const charge& c) {
  // Buckets took a new form (bucket_script.hpp): their own prefix keeps an
  // older gateway sharing the Redis from reading one as the hash it wrote.
  const bool bucket = c.kind == unit::requests || c.kind == unit::tokens;
  return (bucket ? "llmgw:tb:" : "llmgw:rl:") + c.bucket;
}

// A bucket's change not sent yet.
struct settlement {
  std::string key;  // redis_key_of
  std::uint16_t slot = 0;
  unit kind = unit::requests;
  double amount = 0;
  double change = 0;  // summed: tokens or USD taken (< 0: given back), slots given back
  std::chrono::milliseconds window{0};
};

// A take waiting for the end of its worker's turn, then for its reply. The
// caller's coroutine sleeps on `wake` until the batch sets `result`; if the
// caller is resumed without one (its request was cancelled), it marks the
// take abandoned and its charges are no longer read.
struct waiting_take {
  waiting_take(const asio::any_io_executor& ex, std::span<const charge> c, std::uint16_t s)
      : charges(c), slot(s), wake(ex) {}
  std::span<const charge> charges;  // the caller's, read only while it waits
  std::uint16_t slot;
  asio::steady_timer wake;
  std::optional<decision> result;
  bool abandoned = false;
};
using take_batch = std::vector<std::shared_ptr<waiting_take>>;

// The decisions of a take call, in the batch's order; empty when the reply
// is not the script's answer to it.
std::vector<decision> read_take_reply(const store::redis_reply& r, const take_batch& batch) {
  if (!r.is_string()) return {};
  boost::container::small_vector<std::size_t, 64> charges;
  for (const auto& t : batch) charges.push_back(t->charges.size());
  return read_take_reply(r.str, charges);
}

// What waits for the end of the worker's turn.
struct redis_limiter::outbox {
  std::vector<settlement> items;
  take_batch takes;
  bool flush_posted = false;

  // Moves the settlements of `slot` into a script call's keys and arguments
  // (those whose changes cancelled out are dropped); how many went in.
  std::size_t take_for(std::uint16_t slot, std::vector<std::string>& keys, std::vector<std::string>& args) {
    std::size_t n = 0;
    std::erase_if(items, [&](settlement& s) {
      if (s.slot != slot) return false;
      if (s.change != 0) {
        keys.push_back(std::move(s.key));
        add_args(s.kind, s.amount, s.change, s.window, args);
        ++n;
      }
      return true;
    });
    return n;
  }

  // The takes of `slot` still wanted, at most `most`, in the order they came.
  take_batch takes_for(std::uint16_t slot, std::size_t most) {
    take_batch out;
    std::erase_if(takes, [&](std::shared_ptr<waiting_take>& t) {
      if (t->slot != slot || out.size() == most) return false;
      if (!t->abandoned) out.push_back(std::move(t));
      return true;
    });
    return out;
  }
};

namespace {

// A refusal because the store cannot be asked (fail_closed), or because the
// request went away before its decision came: a 503, not a 429.
decision unavailable(std::size_t charges) {
  decision d;
  d.admitted = false;
  d.unavailable = true;
  d.states.resize(charges);
  return d;
}

struct flush_deps {
  std::shared_ptr<store::redis_client> client;
  std::shared_ptr<const store::redis_script> script;
  std::shared_ptr<redis_limiter::health> health;
  std::shared_ptr<memory_limiter> fallback;
};

// Sends one batch of takes and wakes each caller with its decision, or with
// the policy's when Redis cannot be asked.
asio::awaitable<void> decide(flush_deps deps, std::vector<std::string> keys, std::vector<std::string> args,
                             take_batch batch) {
  const store::redis_result r = co_await deps.client->evalsha(*deps.script, std::move(keys), std::move(args));
  std::string why;
  std::vector<decision> decided;
  if (!r) {
    why = r.error().message;
  } else if (r->is_error()) {
    why = "Redis answered: " + r->str;
  } else if (decided = read_take_reply(*r, batch); decided.empty()) {
    why = "unexpected reply to the limit script";
  }
  if (why.empty()) {
    deps.health->answered();
  } else {
    deps.health->failed(why);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    waiting_take& t = *batch[i];
    if (t.abandoned) continue;
    if (why.empty()) {
      t.result = std::move(decided[i]);
    } else if (deps.health->policy == limits_config::store_error_policy::fail_closed) {
      t.result = unavailable(t.charges.size());
    } else {
      t.result = deps.fallback->take_now(t.charges, token_bucket::clock::now());
      t.result->taken_by = deps.fallback.get();
    }
    t.wake.cancel();
  }
}

// Requests decided by one script call at most: its arguments stay small.
constexpr std::size_t k_takes_per_call = 64;

// Sends everything waiting: per cluster slot, its takes (in calls of at most
// k_takes_per_call) with the slot's settlements ahead of the first; then the
// settlements of slots that had no take, alone.
void flush(redis_limiter::outbox& q, const flush_deps& deps, asio::io_context& ioc) {
  q.flush_posted = false;
  while (!q.takes.empty()) {
    const std::uint16_t slot = q.takes.front()->slot;
    take_batch batch = q.takes_for(slot, k_takes_per_call);
    if (batch.empty()) continue;
    // Sized once: the vectors would otherwise move every argument of the
    // call each time they grow.
    std::size_t charges = q.items.size();  // at most this many settlements go in
    for (const auto& t : batch) charges += t->charges.size();
    std::vector<std::string> keys, args;
    keys.reserve(charges);
    args.reserve(3 + batch.size() + 4 * charges);
    args.insert(args.end(), {"take", "0", std::to_string(batch.size())});
    for (const auto& t : batch) args.push_back(std::to_string(t->charges.size()));
    const std::size_t n = q.take_for(slot, keys, args);
    if (n > 0) args[1] = std::to_string(n);
    for (const auto& t : batch) {
      for (const auto& c : t->charges) add_args(c, c.cost, keys, args);
    }
    asio::co_spawn(ioc, decide(deps, std::move(keys), std::move(args), std::move(batch)), asio::detached);
  }
  while (!q.items.empty()) {
    std::vector<std::string> keys, args{"settle", "", "0"};
    const std::size_t n = q.take_for(q.items.front().slot, keys, args);
    if (n == 0) continue;
    args[1] = std::to_string(n);
    asio::co_spawn(
        ioc,
        [deps, keys = std::move(keys), args = std::move(args)]() mutable -> asio::awaitable<void> {
          const auto r = co_await deps.client->evalsha(*deps.script, std::move(keys), std::move(args));
          if (!r) deps.health->failed(r.error().message);
        },
        asio::detached);
  }
}

}  // namespace

std::string check_redis_at_start(const std::string& url, bool cluster, limits_config::store_error_policy policy) {
  auto parsed = store::parse_redis_url(url);
  if (!parsed) throw config_error("REDIS_URL: " + parsed.error().message);
  const std::string shown = store::describe(*parsed);
  store::redis_options options;
  options.url = std::move(*parsed);
  asio::io_context ioc;
  auto client = store::make_redis_client(ioc, options, cluster);
  std::optional<store::redis_error> failure;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        failure = co_await client->connect();
        done = true;
      },
      asio::detached);
  ioc.run_for(options.connect_timeout + std::chrono::seconds(1));
  const std::string what = cluster ? " (cluster)" : "";
  if (done && !failure) return "redis: " + shown + what + ": connected; rate limits are shared by every instance";
  const std::string why = !done ? "no answer in time" : failure->message;
  return "redis: " + shown + what + ": cannot connect (" + why + "); rate limits " +
         (policy == limits_config::store_error_policy::fail_open
              ? "fail open (this instance's own limits) until it answers"
              : "fail closed (503) until it answers");
}

std::shared_ptr<store::redis_client> make_redis_client_for(asio::io_context& ioc, const std::string& url,
                                                           bool cluster) {
  auto parsed = store::parse_redis_url(url);
  if (!parsed) throw config_error("REDIS_URL: " + parsed.error().message);
  store::redis_options options;
  options.url = std::move(*parsed);
  // A limit check or cache lookup waits at most this long for Redis before
  // the policy applies (or it is a miss): a slow Redis must not become a
  // slow gateway.
  options.command_timeout = std::chrono::milliseconds(250);
  return store::make_redis_client(ioc, options, cluster);
}

std::shared_ptr<limiter> make_redis_limiter(asio::io_context& ioc, const std::string& url,
                                            std::shared_ptr<memory_limiter> fallback,
                                            limits_config::store_error_policy policy) {
  return std::make_shared<redis_limiter>(ioc, make_redis_client_for(ioc, url), std::move(fallback), policy);
}

redis_limiter::redis_limiter(asio::io_context& ioc, std::shared_ptr<store::redis_client> client,
                             std::shared_ptr<memory_limiter> fallback, limits_config::store_error_policy policy)
    : ioc_(ioc),
      client_(std::move(client)),
      fallback_(std::move(fallback)),
      script_(std::make_shared<const store::redis_script>(std::string(k_bucket_script))),
      health_(std::make_shared<health>(health{policy})),
      pending_(std::make_shared<outbox>()) {}

// Takes not sent yet are dropped here, while the worker's context (whose
// timers they hold) still exists: their callers hold them too and wake
// without a decision.
redis_limiter::~redis_limiter() { pending_->takes.clear(); }

asio::awaitable<decision> redis_limiter::take(std::span<const charge> charges) {
  // A request's buckets share one hash tag (one slot): its settlements and
  // the takes of other requests on it ride in the same call.
  const std::uint16_t slot = charges.empty() ? 0 : store::key_slot(redis_key_of(charges.front()));
  auto t = std::make_shared<waiting_take>(ioc_.get_executor(), charges, slot);
  pending_->takes.push_back(t);
  post_flush();
  t->wake.expires_at(asio::steady_timer::time_point::max());
  co_await t->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (t->result) co_return std::move(*t->result);
  // Cancelled before its decision came: the request is going away.
  t->abandoned = true;
  co_return unavailable(charges.size());
}

void redis_limiter::adjust(const charge& c, double delta) {
  if (c.kind == unit::parallel || delta == 0) return;
  queue_settlement(c, delta);
}

void redis_limiter::release(const charge& c) {
  if (c.kind != unit::parallel) return;
  queue_settlement(c, c.cost);
}

void redis_limiter::queue_settlement(const charge& c, double change) {
  auto& items = pending_->items;
  std::string key = redis_key_of(c);
  const auto same = std::find_if(items.begin(), items.end(), [&](const settlement& s) { return s.key == key; });
  if (same != items.end()) {
    same->change += change;
  } else {
    const std::uint16_t slot = store::key_slot(key);
    items.push_back({std::move(key), slot, c.kind, c.amount, change, c.window});
  }
  post_flush();
}

void redis_limiter::post_flush() {
  if (pending_->flush_posted) return;
  pending_->flush_posted = true;
  asio::post(ioc_, [q = pending_, deps = flush_deps{client_, script_, health_, fallback_}, &ioc = ioc_] {
    flush(*q, deps, ioc);
  });
}

void redis_limiter::health::failed(const std::string& why) {
  const auto now = std::chrono::steady_clock::now();
  if (failing && now - last_log < std::chrono::seconds(10)) return;
  failing = true;
  last_log = now;
  std::string line = R"({"level":"warning","msg":"rate limits: Redis cannot be asked; )";
  line += policy == limits_config::store_error_policy::fail_open ? "failing open: this instance's own limits apply"
                                                                 : "failing closed: limited requests get 503";
  line += R"(","why":)";
  append_json_string(line, why);
  line += "}\n";
  std::fputs(line.c_str(), stderr);
}

void redis_limiter::health::answered() {
  if (!failing) return;
  failing = false;
  std::fputs(R"({"level":"info","msg":"rate limits: Redis answers again; limits are shared again"})"
             "\n",
             stderr);
}

}  // namespace llmgw::limits
