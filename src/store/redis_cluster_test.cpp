// Key slots, and the cluster client against a real 3-node Redis Cluster.
#include "store/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "store/test_redis_server.hpp"

namespace llmgw::store {
namespace {

using namespace std::chrono_literals;
using testing::run;

TEST(redis_slot, crc16_xmodem_and_known_slots) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);  // the standard check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(redis_slot, hash_tags) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("x{foo}y"), key_slot("foo"));
  EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));      // an empty tag: the whole key
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));  // the first '{' to the next '}'
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  EXPECT_EQ(key_slot("no{close"), key_slot(std::string("no{close")));
}

// Three masters on loopback, made with redis-cli --cluster create.
struct cluster_nodes {
  cluster_nodes() {
    for (int i = 0; i < 3; ++i) {
      nodes.push_back(std::make_unique<testing::redis_server>(std::vector<std::string>{
          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"}));
    }
    std::vector<std::string> create{testing::find_program("redis-cli"), "--cluster", "create"};
    for (auto& n : nodes) create.push_back("127.0.0.1:" + std::to_string(n->port()));
    create.insert(create.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    const std::string out = testing::run_program(create);
    if (out.find("All 16384 slots covered") == std::string::npos)
      throw std::runtime_error("redis-cli --cluster create failed: " + out);
    const auto until = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      bool ok = true;
      for (auto& n : nodes) ok = ok && n->cli({"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos;
      if (ok) break;
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("the cluster did not reach state ok");
      std::this_thread::sleep_for(50ms);
    }
  }
  // The node holding `key` (which must exist): its slot counts one key there.
  testing::redis_server& owner_of(std::string_view key) {
    for (auto& n : nodes)
      if (n->cli({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(key_slot(key))}) == "1") return *n;
    throw std::runtime_error("no node holds " + std::string(key));
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(nodes[0]->port()); }
  std::vector<std::unique_ptr<testing::redis_server>> nodes;
};

redis_options options_for(const std::string& url) {
  redis_options o;
  o.url = parse_redis_url(url).value();
  o.command_timeout = 3s;
  return o;
}

std::string text(const redis_result& r) {
  if (!r) return "FAILURE: " + r.error().message;
  if (r->is_integer()) return std::to_string(r->integer);
  if (r->is_nil()) return "(nil)";
  return r->str;
}

TEST(redis_cluster, keys_spread_over_all_nodes_and_come_back) {
  cluster_nodes cluster;
  boost::asio::io_context ioc;
  redis_cluster_client c(ioc, options_for(cluster.url()));
  ASSERT_EQ(run(ioc, c.connect()), std::nullopt);
  EXPECT_EQ(c.known_nodes(), 3u);
  for (int i = 0; i < 60; ++i) {
    const std::string key = "key:" + std::to_string(i);
    ASSERT_EQ(text(run(ioc, c.command(key, {"SET", key, "v" + std::to_string(i)}))), "OK") << key;
  }
  for (auto& n : cluster.nodes) EXPECT_GT(std::stoi(n->cli({"DBSIZE"})), 0) << "node " << n->port() << " has no key";
  for (int i = 0; i < 60; ++i) {
    const std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(text(run(ioc, c.command(key, {"GET", key}))), "v" + std::to_string(i));
  }
  // Keys of one hash tag go together, so a script may touch them all.
  const redis_script both("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])");
  EXPECT_EQ(text(run(ioc, c.evalsha(both, {"{team-a}:rpm", "{team-a}:tpm"}, {"x"}))), "1");
  EXPECT_EQ(text(run(ioc, c.evalsha(both, {"{team-a}:rpm", "{team-a}:tpm"}, {"x"}))), "2");
  EXPECT_TRUE(c.healthy());
}

TEST(redis_cluster, follows_moved_and_ask_while_a_slot_migrates) {
  cluster_nodes cluster;
  boost::asio::io_context ioc;
  redis_cluster_client c(ioc, options_for(cluster.url()));
  ASSERT_EQ(text(run(ioc, c.command("foo", {"SET", "foo", "before"}))), "OK");
  const auto refreshes_before = c.map_refreshes();

  testing::redis_server& src = cluster.owner_of("foo");
  testing::redis_server* dst = nullptr;
  for (auto& n : cluster.nodes)
    if (n.get() != &src) dst = n.get();
  const std::string src_id = src.cli({"CLUSTER", "MYID"});
  const std::string dst_id = dst->cli({"CLUSTER", "MYID"});
  const std::string slot = std::to_string(key_slot("foo"));
  ASSERT_EQ(dst->cli({"CLUSTER", "SETSLOT", slot, "IMPORTING", src_id}), "OK");
  ASSERT_EQ(src.cli({"CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id}), "OK");

  // A new key of a migrating slot belongs to the importing node: ASK.
  EXPECT_EQ(text(run(ioc, c.command("{foo}:new", {"SET", "{foo}:new", "asked"}))), "OK");
  EXPECT_EQ(dst->cli({"CLUSTER", "COUNTKEYSINSLOT", slot}), "1");
  EXPECT_EQ(src.cli({"CLUSTER", "COUNTKEYSINSLOT", slot}), "1");  // foo itself, not moved yet
  // An existing key is still served where it is.
  EXPECT_EQ(text(run(ioc, c.command("foo", {"GET", "foo"}))), "before");

  ASSERT_EQ(src.cli({"MIGRATE", "127.0.0.1", std::to_string(dst->port()), "", "0", "5000", "KEYS", "foo"}), "OK");
  for (auto& n : cluster.nodes) ASSERT_EQ(n->cli({"CLUSTER", "SETSLOT", slot, "NODE", dst_id}), "OK");

  // The client's map still names the old owner: MOVED, then the new one.
  EXPECT_EQ(text(run(ioc, c.command("foo", {"GET", "foo"}))), "before");
  EXPECT_EQ(text(run(ioc, c.command("{foo}:new", {"GET", "{foo}:new"}))), "asked");
  const std::string stats = dst->cli({"INFO", "commandstats"});
  EXPECT_NE(stats.find("cmdstat_asking:calls=1"), std::string::npos) << stats;
  // The whole map was read again after the MOVED (in the background).
  for (int i = 0; i < 50 && c.map_refreshes() == refreshes_before; ++i) ioc.run_one_for(20ms);
  EXPECT_GT(c.map_refreshes(), refreshes_before);
}

}  // namespace
}  // namespace llmgw::store
