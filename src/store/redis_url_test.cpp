#include "store/redis_url.hpp"

#include <gtest/gtest.h>

namespace llmgw::store {
namespace {

redis_url ok(std::string_view s) {
  auto r = parse_redis_url(s);
  EXPECT_TRUE(r.has_value()) << s << ": " << (r ? "" : r.error().message);
  return r ? *r : redis_url{};
}

std::string error_of(std::string_view s) {
  auto r = parse_redis_url(s);
  EXPECT_FALSE(r.has_value()) << s;
  if (r) return {};
  EXPECT_EQ(r.error().failure, redis_failure::bad_url);
  return r.error().message;
}

TEST(redis_url, host_alone_gets_the_defaults) {
  const auto u = ok("redis://cache.internal");
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "");
}

TEST(redis_url, every_part) {
  const auto u = ok("rediss://alice:s3cret@10.0.0.5:6380/4");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.host, "10.0.0.5");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 4);
}

TEST(redis_url, password_only_and_percent_decoding) {
  const auto u = ok("redis://:p%40ss%3Aw%2Fd@h:1/");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "p@ss:w/d");
  EXPECT_EQ(u.db, 0);
  const auto v = ok("redis://us%65r:a@b@h");  // the last '@' ends the user info
  EXPECT_EQ(v.user, "user");
  EXPECT_EQ(v.password, "a@b");
  EXPECT_EQ(v.host, "h");
}

TEST(redis_url, ipv6_literal) {
  const auto u = ok("redis://[::1]:7000/2");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.db, 2);
  EXPECT_EQ(describe(u), "redis://[::1]:7000/2");
}

TEST(redis_url, malformed_urls_say_what_is_wrong) {
  EXPECT_NE(error_of("http://h").find("redis:// or rediss://"), std::string::npos);
  EXPECT_NE(error_of("redis://").find("host is missing"), std::string::npos);
  EXPECT_NE(error_of("redis://h:99999").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:0").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:").find("port is empty"), std::string::npos);
  EXPECT_NE(error_of("redis://h:63x79").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h/db1").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://h/-1").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://alice@h").find("needs a password"), std::string::npos);
  EXPECT_NE(error_of("redis://:%4@h").find("percent-escape in the password"), std::string::npos);
  EXPECT_NE(error_of("redis://:%zz@h").find("percent-escape"), std::string::npos);
  EXPECT_NE(error_of("redis://[::1").find("IPv6"), std::string::npos);
  EXPECT_NE(error_of("redis://h/0?timeout=1").find("query"), std::string::npos);
}

TEST(redis_url, errors_and_descriptions_never_show_the_password) {
  const std::string secret = "Hunter2Secret";
  EXPECT_EQ(error_of("redis://bob:" + secret + "@h:notaport").find(secret), std::string::npos);
  EXPECT_EQ(error_of("redis://bob:" + secret + "@h/x").find(secret), std::string::npos);
  const auto u = ok("rediss://bob:" + secret + "@h:6390/1");
  const std::string d = describe(u);
  EXPECT_EQ(d, "rediss://bob:***@h:6390/1");
  EXPECT_EQ(d.find(secret), std::string::npos);
  EXPECT_EQ(describe(ok("redis://:" + secret + "@h")), "redis://:***@h:6379/0");
}

}  // namespace
}  // namespace llmgw::store
