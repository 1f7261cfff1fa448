#pragma once
// REDIS_URL: redis://[user[:password]@]host[:port][/db] and rediss://… (TLS).
// I/O-free; user and password are percent-decoded.
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "store/redis_error.hpp"

namespace llmgw::store {

struct redis_url {
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 6379;
  bool tls = false;  // rediss://
  std::string user;  // empty: AUTH with the password alone (the "default" user)
  std::string password;
  int db = 0;
};

// Fails with redis_failure::bad_url and a message naming what is wrong (the
// message never repeats the password).
boost::system::result<redis_url, redis_error> parse_redis_url(std::string_view url);

// "rediss://user:***@host:port/db": for logs; the password is never shown.
std::string describe(const redis_url& u);

}  // namespace llmgw::store
