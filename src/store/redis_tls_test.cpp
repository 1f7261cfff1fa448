// rediss:// against a real redis-server with TLS on, its certificate from a
// CA made by openssl for this test.
#include "store/redis_connection.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "store/test_redis_server.hpp"

namespace llmgw::store {
namespace {

using namespace std::chrono_literals;
using testing::run;

// A CA and a server certificate for localhost and 127.0.0.1, in dir.
void make_certificates(const std::string& dir) {
  const std::string openssl = testing::find_program("openssl");
  std::ofstream(dir + "/san.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  const std::vector<std::vector<std::string>> steps{
      {openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       dir + "/ca.key", "-out", dir + "/ca.crt", "-days", "1", "-subj", "/CN=llmgw test CA"},
      {openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=localhost"},
      {openssl, "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
       "-CAcreateserial", "-out", dir + "/server.crt", "-days", "1", "-extfile", dir + "/san.ext"}};
  for (const auto& s : steps) testing::run_program(s);
  if (!std::ifstream(dir + "/server.crt")) throw std::runtime_error("openssl did not make the test certificates");
}

struct tls_server {
  tls_server() : certs_dir(make_dir()), server(args(certs_dir), true) {}
  ~tls_server() {
    std::error_code ec;
    std::filesystem::remove_all(certs_dir, ec);
  }
  static std::string make_dir() {
    char tmpl[] = "/tmp/llmgw-redis-tls-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    make_certificates(tmpl);
    return tmpl;
  }
  static std::vector<std::string> args(const std::string& d) {
    return {"--tls-cert-file",
            d + "/server.crt",
            "--tls-key-file",
            d + "/server.key",
            "--tls-ca-cert-file",
            d + "/ca.crt",
            "--tls-auth-clients",
            "no",
            "--bind",
            "127.0.0.1 127.0.0.2"};
  }
  redis_options options(const std::string& host, bool trust_ca) const {
    redis_options o;
    o.url = parse_redis_url("rediss://" + host + ":" + std::to_string(server.port())).value();
    if (trust_ca) o.tls_ca_file = certs_dir + "/ca.crt";
    o.command_timeout = 3s;
    return o;
  }
  std::string certs_dir;
  testing::redis_server server;
};

TEST(redis_tls, verified_with_the_servers_ca) {
  tls_server s;
  boost::asio::io_context ioc;
  redis_connection c(ioc, s.options("127.0.0.1", true));
  auto r = run(ioc, c.command({"SET", "over-tls", "yes"}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->str, "OK");
  redis_connection by_name(ioc, s.options("localhost", true));
  auto g = run(ioc, by_name.command({"GET", "over-tls"}));
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->str, "yes");
}

TEST(redis_tls, refused_without_the_ca_or_for_another_name) {
  tls_server s;
  boost::asio::io_context ioc;
  redis_connection untrusted(ioc, s.options("127.0.0.1", false));  // the system's CAs only
  auto r = run(ioc, untrusted.command({"PING"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, redis_failure::tls);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().message;

  // The CA is trusted, but the certificate does not name 127.0.0.2.
  redis_connection wrong_name(ioc, s.options("127.0.0.2", true));
  auto w = run(ioc, wrong_name.command({"PING"}));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().failure, redis_failure::tls);
  EXPECT_NE(w.error().message.find("certificate verify failed"), std::string::npos) << w.error().message;
}

}  // namespace
}  // namespace llmgw::store
