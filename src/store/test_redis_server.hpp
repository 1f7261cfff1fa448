#pragma once
// Real redis-server processes for the store/ tests: started on a free
// loopback port in a temp folder, stopped (and the folder removed) by the
// destructor. No mocks: the tests talk to the Redis that production uses.
// A missing redis-server throws, which fails the test with the message
// (a skipped test would fail the run anyway).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace llmgw::store::testing {

inline bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Below the kernel's ephemeral range (so no outgoing connection takes it),
// and with port + 10000 free as well: a cluster node's bus port.
inline std::uint16_t free_port() {
  static std::mt19937 rng(std::random_device{}());
  for (int i = 0; i < 500; ++i) {
    const auto p = static_cast<std::uint16_t>(20000 + rng() % 10000);
    if (port_free(p) && port_free(static_cast<std::uint16_t>(p + 10000))) return p;
  }
  throw std::runtime_error("no free loopback port found for redis-server");
}

inline std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw std::runtime_error(name + " not found (install redis-server and redis-tools: scripts/install-deps.sh); the " +
                           "Redis tests need a real server");
}

// Runs a program to its end; its stdout.
inline std::string run_program(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) {
    cmd += '\'';
    for (char c : a) {
      if (c == '\'') {
        cmd += "'\\''";
      } else {
        cmd += c;
      }
    }
    cmd += "' ";
  }
  cmd += "2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

class redis_server {
 public:
  // extra: more redis-server arguments ("--requirepass", "pw", ...). With
  // tls_port set, the plain port is 0 and readiness is a TCP connect.
  explicit redis_server(std::vector<std::string> extra = {}, bool tls = false) : extra_(std::move(extra)), tls_(tls) {
    binary_ = find_program("redis-server");
    char tmpl[] = "/tmp/llmgw-redis-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
    start();
  }
  ~redis_server() {
    resume();
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string url(const std::string& userinfo = {}, int db = 0) const {
    return "redis://" + userinfo + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }

  void start() {
    std::vector<std::string> args{binary_,
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  dir_,
                                  "--logfile",
                                  dir_ + "/redis.log",
                                  "--enable-debug-command",
                                  "yes"};
    if (tls_) {
      args.insert(args.end(), {"--port", "0", "--tls-port", std::to_string(port_)});
    } else {
      args.insert(args.end(), {"--port", std::to_string(port_)});
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, binary_.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("could not start " + binary_);
    wait_ready();
  }
  // SIGKILL: the connection breaks with no goodbye.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
    paused_ = true;
  }
  void resume() {
    if (pid_ > 0 && paused_) ::kill(pid_, SIGCONT);
    paused_ = false;
  }

  // redis-cli against this server: its output, trimmed.
  std::string cli(std::vector<std::string> args) const {
    std::vector<std::string> argv{find_program("redis-cli"), "-h", "127.0.0.1", "-p", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out = run_program(argv);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
    return out;
  }

 private:
  void wait_ready() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error(
            "redis-server exited at start; see its arguments (is TLS or cluster support built in?)");
      }
      if (answers()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_) + " within 10 s");
  }
  bool answers() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (ok && !tls_) {
      const char ping[] = "PING\r\n";
      ok = ::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1);
      char buf[64] = {};
      // +PONG, or -NOAUTH from a server that wants a password: either way it serves.
      ok = ok && ::recv(fd, buf, sizeof buf - 1, 0) > 0 && (buf[0] == '+' || buf[0] == '-');
    }
    ::close(fd);
    return ok;
  }

  std::string binary_;
  std::vector<std::string> extra_;
  bool tls_ = false;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
};

template <class T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> a, std::optional<T>& out) {
  out.emplace(co_await std::move(a));
}

// Runs one awaitable on ioc until it completes (the connection's reader
// keeps the context busy, so ioc.run() would not return); a hang becomes an
// exception after `limit`.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> a,
      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::optional<T> out;
  bool failed = false;
  boost::asio::co_spawn(ioc, store_result(std::move(a), out), [&](std::exception_ptr e) {
    if (e) failed = true;
  });
  const auto until = std::chrono::steady_clock::now() + limit;
  ioc.restart();
  while (!out && !failed) {
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("the Redis call did not finish in time");
    ioc.run_one_for(std::chrono::milliseconds(50));
    if (ioc.stopped()) ioc.restart();
  }
  if (failed) throw std::runtime_error("the Redis call threw");
  return std::move(*out);
}

}  // namespace llmgw::store::testing
