// The cooldown script on a real Redis, through the store every instance
// uses: failures of several instances add up, the rest is timed on the
// server's clock, the probe after it belongs to one instance at a time.
#include "api/cooldown_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <thread>

#include "store/redis_client.hpp"
#include "store/redis_cluster.hpp"
#include "store/test_redis_server.hpp"

namespace llmgw::api {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using store::testing::redis_server;
using store::testing::run;

// Two instances, each with its own connection, on one Redis.
struct fixture {
  redis_server server;
  asio::io_context ioc;
  cooldown_store a{client(), "instance-a"};
  cooldown_store b{client(), "instance-b"};
  const std::string x = cooldown_name("main", "vendor-x", "gpt-4o-mini");
  const std::string y = cooldown_name("main", "vendor-y", "gpt-4o-mini");

  std::shared_ptr<store::redis_client> client() {
    store::redis_options o;
    o.url = *store::parse_redis_url(server.url());
    return store::make_redis_client(ioc, o, false);
  }
  shared_view failed(cooldown_store& s, const std::string& name, const cooldown_policy& p) {
    return run(ioc, s.failed(name, p)).value();
  }
  std::vector<shared_view> poll(cooldown_store& s, std::vector<bool> wants, std::chrono::milliseconds lease = 1s) {
    return run(ioc, s.poll({x, y}, wants, lease)).value();
  }
};

constexpr shared_view healthy{shared_state::healthy, 0ms};
constexpr shared_view ours{shared_state::probe_ours, 0ms};
constexpr shared_view elsewhere{shared_state::probe_elsewhere, 0ms};

TEST(cooldown_store, names_keep_their_parts_apart_and_every_key_shares_one_cluster_slot) {
  EXPECT_EQ(cooldown_name("a/b", "c", "d%2F"), "a%2Fb/c/d%252F");
  EXPECT_NE(cooldown_name("a/b", "c", "d"), cooldown_name("a", "b/c", "d"));
  EXPECT_EQ(cooldown_state_key("main/openai/gpt-4o"), "llmgw:cd:{cooldown}:s:main/openai/gpt-4o");
  // One poll reads every deployment: on a Redis Cluster they must share a slot.
  const auto slot = store::key_slot(cooldown_state_key("main/openai/gpt-4o"));
  EXPECT_EQ(store::key_slot(cooldown_failures_key("main/openai/gpt-4o")), slot);
  EXPECT_EQ(store::key_slot(cooldown_state_key("x/{y}/z}")), slot);
}

TEST(cooldown_store, failures_of_two_instances_add_up_and_rest_it_on_the_servers_clock) {
  fixture f;
  const cooldown_policy p{.failures = 3, .window = 10s, .duration = 2s};
  EXPECT_EQ(f.failed(f.a, f.x, p), healthy);
  EXPECT_EQ(f.failed(f.b, f.x, p), healthy);
  EXPECT_EQ(f.failed(f.b, f.y, p), healthy);  // another deployment counts apart
  const shared_view v = f.failed(f.a, f.x, p);
  EXPECT_EQ(v.state, shared_state::cooling);
  EXPECT_GT(v.left, 1900ms);
  EXPECT_LE(v.left, 2000ms);
  const auto both = f.poll(f.b, {false, false});
  EXPECT_EQ(both[0].state, shared_state::cooling);
  EXPECT_EQ(both[1], healthy);
  // The state outlives the rest (an hour, for the probe); the count is gone.
  const std::string key = cooldown_state_key(f.x);
  EXPECT_GT(std::stoll(f.server.cli({"PTTL", key})), 3'600'000);
  EXPECT_EQ(f.server.cli({"EXISTS", cooldown_failures_key(f.x)}), "0");
}

TEST(cooldown_store, failures_older_than_the_window_do_not_count) {
  fixture f;
  const cooldown_policy p{.failures = 2, .window = 300ms, .duration = 2s};
  EXPECT_EQ(f.failed(f.a, f.x, p), healthy);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(f.failed(f.b, f.x, p), healthy);
  EXPECT_EQ(f.failed(f.a, f.x, p).state, shared_state::cooling);
}

TEST(cooldown_store, after_the_rest_the_probe_is_one_instances_until_its_claim_lapses_or_it_succeeds) {
  fixture f;
  const cooldown_policy p{.failures = 1, .window = 10s, .duration = 100ms};
  f.failed(f.a, f.x, p);
  std::this_thread::sleep_for(150ms);
  // Over: nobody holds the probe until an instance wants it.
  EXPECT_EQ(f.poll(f.a, {false, false})[0], elsewhere);
  EXPECT_EQ(f.poll(f.a, {true, true}), (std::vector<shared_view>{ours, healthy}));
  EXPECT_EQ(f.poll(f.b, {true, false})[0], elsewhere);
  EXPECT_EQ(f.poll(f.a, {false, false})[0], ours);  // held without renewing, until it lapses
  // Renewed while wanted; once it lapses the other instance takes it.
  EXPECT_EQ(f.poll(f.a, {true, false}, 400ms)[0], ours);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(f.poll(f.b, {true, false})[0], elsewhere);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(f.poll(f.b, {true, false})[0], ours);
  EXPECT_EQ(f.poll(f.a, {true, false})[0], elsewhere);
  // The probe succeeds: healthy for everyone.
  EXPECT_EQ(run(f.ioc, f.b.probe_succeeded(f.x)).value(), healthy);
  EXPECT_EQ(f.poll(f.a, {true, false})[0], healthy);
  EXPECT_EQ(f.server.cli({"EXISTS", cooldown_state_key(f.x)}), "0");
}

TEST(cooldown_store, a_failed_probe_rests_it_again_and_retry_after_only_lengthens_a_rest) {
  fixture f;
  const cooldown_policy p{.failures = 1, .window = 10s, .duration = 100ms};
  f.failed(f.a, f.x, p);
  std::this_thread::sleep_for(150ms);
  ASSERT_EQ(f.poll(f.a, {true, false})[0], ours);
  const cooldown_policy longer{.failures = 1, .window = 10s, .duration = 1s};
  const shared_view again = f.failed(f.a, f.x, longer);
  EXPECT_EQ(again.state, shared_state::cooling);
  EXPECT_GT(again.left, 900ms);
  // A success while it still rests (a request that had nowhere else to go) ends nothing.
  EXPECT_EQ(run(f.ioc, f.b.probe_succeeded(f.x)).value().state, shared_state::cooling);
  const shared_view waited = run(f.ioc, f.b.retry_after(f.x, 5s)).value();
  EXPECT_GT(waited.left, 4900ms);
  const shared_view shorter = run(f.ioc, f.a.retry_after(f.x, 1s)).value();
  EXPECT_GT(shorter.left, 4800ms);
  // A retry-after alone rests a healthy deployment too.
  EXPECT_EQ(run(f.ioc, f.a.retry_after(f.y, 2s)).value().state, shared_state::cooling);
}

TEST(cooldown_store, redis_down_is_an_error_value) {
  fixture f;
  f.server.stop();
  const auto r = run(f.ioc, f.a.failed(f.x, cooldown_policy{}));
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(run(f.ioc, f.a.poll({f.x}, {true}, 1s)).has_value());
}

}  // namespace
}  // namespace llmgw::api
