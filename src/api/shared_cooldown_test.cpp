// Two processes' deployment_health kept in step through a real Redis by
// their shared_cooldown threads, as two gateway instances would be: a rest
// one of them decided keeps the deployment out of the other, the probe after
// it is one instance's, and without Redis each goes on alone.
#include "api/shared_cooldown.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "store/test_redis_server.hpp"

namespace llmgw::api {
namespace {

using namespace std::chrono_literals;
using clock = deployment_health::clock;
using store::testing::redis_server;

constexpr auto k_poll = 50ms;

// Waits up to `limit` for `cond`.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 3s) {
  const auto until = clock::now() + limit;
  while (clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

// Instance a has x at 0, y at 1; instance b's configuration has another
// deployment first: y at 1, x at 2, and its 0 never rests (not shared).
struct two_instances {
  redis_server server;
  deployment_health ha{2}, hb{3};
  shared_cooldown a{ha, {"g/vx/m", "g/vy/m"}, server.url(), false, k_poll};
  shared_cooldown b{hb, {"", "g/vy/m", "g/vx/m"}, server.url(), false, k_poll};
  two_instances() {
    a.start();
    b.start();
  }
};

TEST(shared_cooldown, a_rest_decided_by_one_instance_keeps_the_deployment_out_of_the_other_then_one_probe_decides) {
  two_instances t;
  EXPECT_EQ(t.a.shared(), 2u);
  EXPECT_EQ(t.b.shared(), 2u);
  const cooldown_policy p{.failures = 2, .window = 10s, .duration = 700ms};
  t.ha.failed(0, p, clock::now());
  t.ha.failed(0, p, clock::now());
  ASSERT_FALSE(t.ha.ready(0, clock::now()));
  // b saw no failure, and learns of the rest within a poll or two.
  ASSERT_TRUE(eventually([&] { return !t.hb.ready(2, clock::now()); }, 1s));
  EXPECT_TRUE(t.hb.ready(1, clock::now()));
  EXPECT_TRUE(t.hb.ready(0, clock::now()));

  // After the rest, requests on both sides want the probe; one instance gets it.
  std::this_thread::sleep_for(700ms);
  bool a_probes = false, b_probes = false;
  ASSERT_TRUE(eventually([&] {
    a_probes = t.ha.ready(0, clock::now());
    b_probes = t.hb.ready(2, clock::now());
    return a_probes || b_probes;
  }));
  ASSERT_NE(a_probes, b_probes) << "both instances probe";
  deployment_health& prober = a_probes ? t.ha : t.hb;
  deployment_health& other = a_probes ? t.hb : t.ha;
  const std::size_t pd = a_probes ? 0 : 2, od = a_probes ? 2 : 0;
  prober.asking(pd, clock::now());
  // While the probe is out (its claim renewed), the other instance waits.
  const auto until = clock::now() + 400ms;
  while (clock::now() < until) {
    ASSERT_FALSE(other.ready(od, clock::now()));
    std::this_thread::sleep_for(10ms);
  }
  prober.succeeded(pd);
  EXPECT_TRUE(prober.ready(pd, clock::now()));
  EXPECT_TRUE(eventually([&] { return other.ready(od, clock::now()); }, 1s));
}

TEST(shared_cooldown, a_retry_after_heard_by_one_instance_holds_for_the_other) {
  two_instances t;
  t.hb.retry_after(1, clock::now() + 1s);
  ASSERT_TRUE(eventually([&] { return !t.ha.ready(1, clock::now()); }, 1s));
  EXPECT_GT(t.ha.ready_at(1), clock::now() + 500ms);
  EXPECT_TRUE(t.ha.ready(0, clock::now()));
}

TEST(shared_cooldown, without_redis_each_instance_rests_and_probes_on_its_own) {
  two_instances t;
  const cooldown_policy p{.failures = 1, .window = 10s, .duration = 300ms};
  t.ha.failed(0, p, clock::now());
  ASSERT_TRUE(eventually([&] { return !t.hb.ready(2, clock::now()); }, 1s));
  std::this_thread::sleep_for(300ms);
  // b holds the probe (it asked first) and a waits for it…
  ASSERT_TRUE(eventually([&] { return t.hb.ready(2, clock::now()); }));
  t.hb.asking(2, clock::now());
  std::this_thread::sleep_for(4 * k_poll);
  ASSERT_FALSE(t.ha.ready(0, clock::now()));
  t.server.stop();
  // …until a poll finds Redis gone: then a probes for itself.
  EXPECT_TRUE(eventually([&] { return t.ha.ready(0, clock::now()); }, 2s));
  // Its own failures still rest it, per process.
  t.ha.failed(1, p, clock::now());
  EXPECT_FALSE(t.ha.ready(1, clock::now()));
  EXPECT_TRUE(t.hb.ready(1, clock::now()));
}

}  // namespace
}  // namespace llmgw::api
