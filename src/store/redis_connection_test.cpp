// redis_connection against real redis-server processes (test_redis_server.hpp).
#include "store/redis_connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/test_redis_server.hpp"

namespace llmgw::store {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using testing::run;

redis_options options_for(const std::string& url, std::chrono::milliseconds timeout = 2s) {
  redis_options o;
  o.url = parse_redis_url(url).value();
  o.command_timeout = timeout;
  return o;
}

redis_command cmd(std::initializer_list<std::string> args) { return redis_command(args); }

// The reply, or a failure message in place of the test's expectations.
std::string text(const redis_result& r) {
  if (!r) return "FAILURE: " + r.error().message;
  if (r->is_integer()) return std::to_string(r->integer);
  if (r->is_nil()) return "(nil)";
  return r->str;
}

asio::awaitable<void> echo_one(redis_connection& c, int i, int& matched) {
  // Named, not a braced temporary: GCC 12 cannot take one as a coroutine's argument.
  redis_command echo{"ECHO", "value-" + std::to_string(i)};
  auto r = co_await c.command(std::move(echo));
  if (r && r->str == "value-" + std::to_string(i)) ++matched;
}

TEST(redis_connection, concurrent_commands_share_writes_and_each_gets_its_own_reply) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url()));
  ASSERT_EQ(run(ioc, c.connect()), std::nullopt);
  const auto before = c.stats();
  constexpr int n = 200;
  int matched = 0;
  for (int i = 0; i < n; ++i) asio::co_spawn(ioc, echo_one(c, i, matched), asio::detached);
  const auto until = clock::now() + 10s;
  while (matched < n && clock::now() < until) ioc.run_one_for(50ms);
  EXPECT_EQ(matched, n);
  const auto after = c.stats();
  EXPECT_EQ(after.commands - before.commands, static_cast<std::uint64_t>(n));
  // All were queued on one turn of the loop: they leave in one write.
  EXPECT_LE(after.writes - before.writes, 2u) << "writes: " << after.writes - before.writes;
  // The server saw them too.
  EXPECT_NE(server.cli({"INFO", "commandstats"}).find("cmdstat_echo:calls=200"), std::string::npos);
}

TEST(redis_connection, a_batch_is_answered_in_order) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url()));
  std::vector<redis_command> batch{cmd({"SET", "k", "1"}), cmd({"INCR", "k"}), cmd({"GET", "k"}),
                                   cmd({"GET", "missing"}), cmd({"LPUSH", "k", "x"})};
  auto r = run(ioc, c.commands(std::move(batch)));
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(text(r[0]), "OK");
  EXPECT_TRUE(r[0]->is_status());
  EXPECT_EQ(text(r[1]), "2");
  EXPECT_EQ(text(r[2]), "2");
  EXPECT_TRUE(r[3]->is_nil());
  ASSERT_TRUE(r[4]);
  EXPECT_TRUE(r[4]->is_error_with("WRONGTYPE")) << r[4]->str;
  EXPECT_EQ(c.stats().writes, 1u);
}

// Arguments go by their sizes, so any bytes are one argument: a value that
// spells RESP itself, every byte value, an empty one and a large one.
TEST(redis_connection, arguments_are_binary_safe_whatever_their_size) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url()));
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::vector<std::string> values{"\r\n*1\r\n$4\r\nPING\r\n", every_byte, "", std::string(100000, 'v')};
  std::vector<redis_command> batch;
  for (std::size_t i = 0; i < values.size(); ++i) {
    batch.push_back(cmd({"SET", "bin:" + std::to_string(i), values[i]}));
    batch.push_back(cmd({"GET", "bin:" + std::to_string(i)}));
  }
  auto r = run(ioc, c.commands(std::move(batch)));
  ASSERT_EQ(r.size(), 2 * values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(text(r[2 * i]), "OK") << i;
    ASSERT_TRUE(r[2 * i + 1]) << i;
    EXPECT_EQ(r[2 * i + 1]->str, values[i]) << i;
  }
  EXPECT_EQ(server.cli({"DBSIZE"}), "4");
}

TEST(redis_connection, acl_user_and_password) {
  testing::redis_server server;
  ASSERT_EQ(server.cli({"ACL", "SETUSER", "alice", "on", ">Al1ce-pw", "~*", "+@all"}), "OK");
  asio::io_context ioc;
  redis_connection good(ioc, options_for(server.url("alice:Al1ce-pw@")));
  auto who = run(ioc, good.command(cmd({"ACL", "WHOAMI"})));
  EXPECT_EQ(text(who), "alice");

  redis_connection bad(ioc, options_for(server.url("alice:Wr0ng-pw@")));
  auto r = run(ioc, bad.command(cmd({"PING"})));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, redis_failure::auth);
  EXPECT_NE(r.error().message.find("refused AUTH as user 'alice'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("WRONGPASS"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("Wr0ng-pw"), std::string::npos) << r.error().message;
  EXPECT_FALSE(bad.healthy());
  // Until the backoff ends, commands fail at once, saying why.
  auto fast = run(ioc, bad.command(cmd({"PING"})));
  ASSERT_FALSE(fast);
  EXPECT_EQ(fast.error().failure, redis_failure::backing_off);
  EXPECT_NE(fast.error().message.find("WRONGPASS"), std::string::npos) << fast.error().message;
}

TEST(redis_connection, password_alone_for_the_default_user) {
  testing::redis_server server({"--requirepass", "only-pw"});
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url(":only-pw@")));
  EXPECT_EQ(text(run(ioc, c.command(cmd({"ACL", "WHOAMI"})))), "default");
  redis_connection none(ioc, options_for(server.url()));
  auto r = run(ioc, none.command(cmd({"GET", "x"})));
  ASSERT_TRUE(r);  // the server answers, with an error reply
  EXPECT_TRUE(r->is_error_with("NOAUTH")) << r->str;
}

TEST(redis_connection, database_number_isolates_keys) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection db3(ioc, options_for(server.url({}, 3)));
  redis_connection db0(ioc, options_for(server.url({}, 0)));
  EXPECT_EQ(text(run(ioc, db3.command(cmd({"SET", "shared-name", "in-3"})))), "OK");
  EXPECT_EQ(text(run(ioc, db0.command(cmd({"GET", "shared-name"})))), "(nil)");
  EXPECT_EQ(text(run(ioc, db3.command(cmd({"GET", "shared-name"})))), "in-3");
  EXPECT_EQ(server.cli({"-n", "3", "GET", "shared-name"}), "in-3");

  redis_connection db99(ioc, options_for(server.url({}, 99)));
  auto r = run(ioc, db99.command(cmd({"PING"})));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, redis_failure::auth);
  EXPECT_NE(r.error().message.find("SELECT 99"), std::string::npos) << r.error().message;
}

TEST(redis_connection, a_stopped_server_times_out_instead_of_hanging) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url(), 300ms));
  ASSERT_EQ(run(ioc, c.connect()), std::nullopt);
  server.pause();  // SIGSTOP: the socket stays open, nothing answers
  const auto t0 = clock::now();
  auto r = run(ioc, c.command(cmd({"PING"})));
  const auto took = clock::now() - t0;
  server.resume();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, redis_failure::timeout);
  EXPECT_NE(r.error().message.find("did not answer within 300 ms"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_FALSE(c.healthy());
}

asio::awaitable<void> blocked_pop(redis_connection& c, std::optional<redis_result>& out) {
  redis_command pop{"BLPOP", "never-filled", "0"};
  out.emplace(co_await c.command(std::move(pop)));
}

TEST(redis_connection, killed_server_fails_pending_commands_then_reconnects_by_itself) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url(), 10s));
  ASSERT_EQ(run(ioc, c.connect()), std::nullopt);
  std::optional<redis_result> pending;
  asio::co_spawn(ioc, blocked_pop(c, pending), asio::detached);
  for (int i = 0; i < 10; ++i) ioc.run_one_for(10ms);  // the BLPOP is written and waiting
  ASSERT_FALSE(pending);
  const auto t0 = clock::now();
  server.kill();
  while (!pending && clock::now() - t0 < 5s) ioc.run_one_for(10ms);
  ASSERT_TRUE(pending) << "the pending command hangs after the server died";
  EXPECT_LT(clock::now() - t0, 2s);  // far sooner than its 10 s timeout
  ASSERT_FALSE(*pending);
  EXPECT_EQ(pending->error().failure, redis_failure::disconnected);
  EXPECT_NE(pending->error().message.find("closed the connection"), std::string::npos) << pending->error().message;
  EXPECT_FALSE(c.healthy());

  server.start();  // same port
  std::string last;
  const auto until = clock::now() + 8s;
  while (clock::now() < until) {
    auto r = run(ioc, c.command(cmd({"PING"})));
    last = text(r);
    if (r) break;
    asio::steady_timer t(ioc, 20ms);
    ioc.run_one_for(20ms);
  }
  EXPECT_EQ(last, "PONG");
  EXPECT_TRUE(c.healthy());
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST(redis_connection, nothing_listening_fails_fast_then_backs_off) {
  const std::uint16_t port = testing::free_port();
  asio::io_context ioc;
  redis_connection c(ioc, options_for("redis://127.0.0.1:" + std::to_string(port)));
  auto r = run(ioc, c.command(cmd({"PING"})));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, redis_failure::connect);
  EXPECT_NE(r.error().message.find("could not connect to Redis at redis://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << r.error().message;
  auto again = run(ioc, c.command(cmd({"PING"})));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().failure, redis_failure::backing_off);
  EXPECT_EQ(c.stats().failures, 1u);  // no second connect attempt inside the backoff
}

TEST(redis_connection, evalsha_loads_the_script_again_after_script_flush) {
  testing::redis_server server;
  asio::io_context ioc;
  redis_connection c(ioc, options_for(server.url()));
  const redis_script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(add.sha1.size(), 40u);
  // Never loaded: NOSCRIPT, loaded, run.
  EXPECT_EQ(text(run(ioc, c.evalsha(add, {"counter"}, {"5"}))), "5");
  EXPECT_EQ(server.cli({"SCRIPT", "EXISTS", add.sha1}), "1");
  EXPECT_EQ(text(run(ioc, c.evalsha(add, {"counter"}, {"2"}))), "7");
  ASSERT_EQ(server.cli({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(text(run(ioc, c.evalsha(add, {"counter"}, {"3"}))), "10");
  // Loaded twice in all, by SHA every time after.
  const std::string stats = server.cli({"INFO", "commandstats"});
  EXPECT_NE(stats.find("cmdstat_evalsha:calls=5"), std::string::npos) << stats;
  EXPECT_NE(stats.find("cmdstat_script|load:calls=2"), std::string::npos) << stats;
}

}  // namespace
}  // namespace llmgw::store
