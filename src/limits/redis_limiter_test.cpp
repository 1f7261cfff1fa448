// The bucket script on a real Redis, through the limiter the workers use:
// the same decisions as the memory limiter, all or nothing, and the policy
// when Redis cannot be asked.
#include "limits/redis_limiter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <optional>

#include "limits/memory_limiter.hpp"
#include "store/test_redis_server.hpp"

namespace llmgw::limits {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using store::testing::redis_server;
using store::testing::run;

charge rpm(double amount) { return {"{key_t}:rpm", "key:rpm", unit::requests, amount, 1}; }
charge tpm(double amount, double cost) { return {"{key_t}:tpm", "key:tpm", unit::tokens, amount, cost}; }

struct fixture {
  redis_server server;
  asio::io_context ioc;
  std::shared_ptr<memory_limiter> fallback = std::make_shared<memory_limiter>();
  std::shared_ptr<limiter> l;
  explicit fixture(limits_config::store_error_policy policy = limits_config::store_error_policy::fail_open)
      : l(make_redis_limiter(ioc, server.url(), fallback, policy)) {}
  decision take(std::vector<charge> c) { return run(ioc, l->take(c)); }
  // Lets the detached settle calls reach Redis.
  void settle() {
    ioc.run_for(100ms);
    ioc.restart();
  }
};

TEST(redis_limiter, a_full_bucket_admits_its_amount_then_refuses_with_the_wait) {
  fixture f;
  for (int i = 0; i < 3; ++i) {
    const decision d = f.take({rpm(3)});
    ASSERT_TRUE(d.admitted) << i;
    EXPECT_EQ(d.taken_by, nullptr);
    EXPECT_EQ(d.states[0].remaining, 2 - i);
    // Until full again (x-ratelimit-reset-requests): 20 s per request taken.
    EXPECT_GT(d.states[0].reset, std::chrono::milliseconds(20000 * (i + 1) - 1000)) << i;
    EXPECT_LE(d.states[0].reset, std::chrono::milliseconds(20000 * (i + 1))) << i;
  }
  const decision d = f.take({rpm(3)});
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.never_fits);
  EXPECT_GT(d.retry_after, 19000ms);  // one request of 3 per minute: 20 s
  EXPECT_LE(d.retry_after, 20000ms);
  // Empty, the bucket is a minute from full: it lives that long (and a
  // second more), no shorter, or it would forget what it was charged.
  const long ttl = std::stol(f.server.cli({"PTTL", "llmgw:tb:{key_t}:rpm"}));
  EXPECT_GT(ttl, 59000);
  EXPECT_LE(ttl, 61000);
}

TEST(redis_limiter, all_or_nothing_and_never_fits) {
  fixture f;
  ASSERT_TRUE(f.take({tpm(100, 90)}).admitted);
  const decision refused = f.take({rpm(2), tpm(100, 50)});
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refused, 1u);
  EXPECT_EQ(refused.states[0].remaining, 2);  // rpm untouched
  EXPECT_TRUE(f.take({rpm(2)}).admitted);
  EXPECT_TRUE(f.take({rpm(2)}).admitted);
  const decision never = f.take({tpm(100, 101)});
  EXPECT_FALSE(never.admitted);
  EXPECT_TRUE(never.never_fits);
}

TEST(redis_limiter, adjust_trues_up_a_reservation_and_release_gives_back_a_slot) {
  fixture f;
  const charge t = tpm(1000, 800);
  ASSERT_TRUE(f.take({t}).admitted);
  f.l->adjust(t, -700);  // used 100 of 800
  f.settle();
  EXPECT_NEAR(f.take({tpm(1000, 0)}).states[0].remaining, 900, 2);
  const charge p{"{key_t}:parallel", "key:max_parallel", unit::parallel, 1, 1};
  EXPECT_TRUE(f.take({p}).admitted);
  EXPECT_FALSE(f.take({p}).admitted);
  f.l->release(p);
  f.settle();
  EXPECT_TRUE(f.take({p}).admitted);
}

// Settlements and then a take in one turn of the worker's loop: nothing runs
// between them, as when a request ends just before the next one is admitted.
asio::awaitable<decision> release_then_take(limiter& l, std::vector<charge> released, std::vector<charge> taken) {
  for (const auto& c : released) l.release(c);
  co_return co_await l.take(taken);
}

asio::awaitable<decision> adjust_then_take(limiter& l, charge adjusted, double change, std::vector<charge> taken) {
  l.adjust(adjusted, change);
  co_return co_await l.take(taken);
}

// Script calls Redis has run so far (INFO commandstats).
long evalsha_calls(const redis_server& server) {
  const std::string stats = server.cli({"INFO", "commandstats"});
  const auto at = stats.find("cmdstat_evalsha:calls=");
  return at == std::string::npos ? 0 : std::stol(stats.substr(at + 22));
}

TEST(redis_limiter, settlements_of_one_turn_are_summed_into_one_call) {
  fixture f;
  const charge t = tpm(1000, 800);
  ASSERT_TRUE(f.take({t}).admitted);
  const long before = evalsha_calls(f.server);
  // Three requests that ended in the same turn of the worker's loop.
  for (int i = 0; i < 3; ++i) f.l->adjust(t, -100);
  f.settle();
  EXPECT_EQ(evalsha_calls(f.server) - before, 1);
  EXPECT_NEAR(f.take({tpm(1000, 0)}).states[0].remaining, 500, 2);
}

// Takes that all start in one turn of the worker's loop (each request's
// charges), and their decisions, in the same order.
std::vector<std::optional<decision>> take_together(fixture& f, const std::vector<std::vector<charge>>& requests) {
  std::vector<std::optional<decision>> got(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    asio::co_spawn(
        f.ioc, [&f, &got, &requests, i]() -> asio::awaitable<void> { got[i] = co_await f.l->take(requests[i]); },
        asio::detached);
  }
  // (The connection's reads keep the context busy: run until all are in.)
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::count(got.begin(), got.end(), std::nullopt) > 0 && std::chrono::steady_clock::now() < until) {
    f.ioc.run_one_for(50ms);
  }
  f.ioc.restart();
  return got;
}

TEST(redis_limiter, takes_of_one_turn_are_decided_in_one_call_per_slot_in_the_order_they_came) {
  fixture f;
  const charge other{"{key_u}:rpm", "key:rpm", unit::requests, 3, 1};
  ASSERT_TRUE(f.take({{"{key_v}:rpm", "key:rpm", unit::requests, 3, 1}}).admitted);  // the script is loaded
  const long before = evalsha_calls(f.server);
  // Five requests of one key and one of another arrive in the same turn.
  const auto got = take_together(f, {{rpm(3)}, {rpm(3)}, {rpm(3)}, {rpm(3)}, {rpm(3)}, {other}});
  EXPECT_EQ(evalsha_calls(f.server) - before, 2);
  for (std::size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(got[i]) << i;
    EXPECT_EQ(got[i]->admitted, i < 3) << i;  // three a minute: the first three
    EXPECT_EQ(got[i]->states[0].remaining, i < 3 ? 2 - static_cast<double>(i) : 0) << i;
  }
  ASSERT_TRUE(got[5]);
  EXPECT_TRUE(got[5]->admitted);
  EXPECT_EQ(got[5]->states[0].remaining, 2);
}

TEST(redis_limiter, a_batch_redis_cannot_answer_gets_the_policy_request_by_request) {
  fixture open;
  open.server.stop();
  // Three requests of one turn, two a minute: the memory limiter decides
  // each in turn, and each is settled with it.
  const auto got = take_together(open, {{rpm(2)}, {rpm(2)}, {rpm(2)}});
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(got[i]) << i;
    EXPECT_EQ(got[i]->admitted, i < 2) << i;
    EXPECT_FALSE(got[i]->unavailable) << i;
    EXPECT_EQ(got[i]->taken_by, open.fallback.get()) << i;
  }

  fixture closed(limits_config::store_error_policy::fail_closed);
  closed.server.stop();
  for (const auto& d : take_together(closed, {{rpm(2)}, {rpm(2)}, {rpm(2)}})) {
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->admitted);
    EXPECT_TRUE(d->unavailable);
    EXPECT_EQ(d->states.size(), 1u);
  }
}

TEST(redis_limiter, a_take_carries_the_settlements_of_its_slot_ahead_of_its_decision) {
  fixture f;
  const charge p{"{key_t}:parallel", "key:max_parallel", unit::parallel, 1, 1};
  const charge elsewhere{"{key_u}:parallel", "key:max_parallel", unit::parallel, 1, 1};
  ASSERT_TRUE(f.take({p}).admitted);
  ASSERT_TRUE(f.take({elsewhere}).admitted);
  const long before = evalsha_calls(f.server);
  // A request ends and the next one of the same key is admitted in the same
  // turn: the slot given back must be free when Redis decides.
  const decision d = run(f.ioc, release_then_take(*f.l, {p, elsewhere}, {p}));
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.states.size(), 1u);
  f.settle();
  // The take and its slot's release in one call; the other slot's alone.
  EXPECT_EQ(evalsha_calls(f.server) - before, 2);
  EXPECT_TRUE(f.take({elsewhere}).admitted);
  EXPECT_FALSE(f.take({p}).admitted);
}

TEST(redis_limiter, a_settlement_of_a_bucket_the_take_decides_counts_whatever_the_decision) {
  fixture f;
  const charge t = tpm(1000, 800);
  ASSERT_TRUE(f.take({t}).admitted);  // 200 left
  const auto settle_then_take = [&](double change, double cost) {
    return run(f.ioc, adjust_then_take(*f.l, t, change, {rpm(100), tpm(1000, cost)}));
  };
  // 700 given back, then 850 fits only because it came first.
  const decision admitted = settle_then_take(-700, 850);
  EXPECT_TRUE(admitted.admitted);
  EXPECT_NEAR(admitted.states[1].remaining, 50, 2);
  // 300 taken (the request used more than it reserved): 950 cannot fit, and
  // the 300 still count.
  const decision refused = settle_then_take(300, 950);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refused, 1u);
  f.settle();
  EXPECT_LT(f.take({tpm(1000, 0)}).states[0].remaining, 5);    // 50 - 300, refilled a little
  EXPECT_NEAR(f.take({rpm(100)}).states[0].remaining, 98, 1);  // the refused take took no request
}

TEST(redis_limiter, a_budget_counts_spend_in_usd_and_expires_with_its_period) {
  fixture f;
  charge s{"{key_t}:budget:d20261203", "key:budget:day", unit::spend, 1.0, 0.4};
  s.window = std::chrono::milliseconds(3'600'000);
  ASSERT_TRUE(f.take({s}).admitted);
  ASSERT_TRUE(f.take({s}).admitted);
  const decision refused = f.take({s});
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, std::chrono::milliseconds(3'600'000));
  EXPECT_NEAR(refused.states[0].remaining, 0.2, 1e-9);  // fractional dollars survive the reply
  f.l->adjust(s, -0.35);                                // the first cost 0.05
  f.settle();
  EXPECT_TRUE(f.take({s}).admitted);
  charge free = s;
  free.cost = 0;
  EXPECT_NEAR(f.take({free}).states[0].remaining, 0.15, 1e-9);
}

TEST(redis_limiter, redis_down_fails_open_to_the_memory_limiter_or_closed) {
  fixture open;
  open.server.stop();
  const decision d = open.take({rpm(1)});
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.taken_by, open.fallback.get());  // settled with the memory limiter
  EXPECT_FALSE(open.take({rpm(1)}).admitted);  // the memory bucket holds meanwhile

  fixture closed(limits_config::store_error_policy::fail_closed);
  closed.server.stop();
  const decision c = closed.take({rpm(1)});
  EXPECT_FALSE(c.admitted);
  EXPECT_TRUE(c.unavailable);
}

}  // namespace
}  // namespace llmgw::limits
