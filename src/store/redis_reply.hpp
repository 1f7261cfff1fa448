#pragma once
// One RESP2 reply, owned: what the connection hands back after hiredis's
// reader parsed it (hiredis types stay inside redis_connection.cpp).
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_error.hpp"

namespace llmgw::store {

struct redis_reply {
  enum class kind : std::uint8_t { nil, integer, status, string, error, array };

  kind type = kind::nil;
  long long integer = 0;
  std::string str;                    // status, bulk string or error text
  std::vector<redis_reply> elements;  // array

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
  bool is_integer() const { return type == kind::integer; }
  bool is_string() const { return type == kind::string; }
  bool is_status() const { return type == kind::status; }
  bool is_array() const { return type == kind::array; }
  // An error reply whose first word is `prefix` ("MOVED", "NOSCRIPT", ...).
  bool is_error_with(std::string_view prefix) const {
    return type == kind::error && str.size() >= prefix.size() &&
           std::string_view(str).substr(0, prefix.size()) == prefix &&
           (str.size() == prefix.size() || str[prefix.size()] == ' ');
  }

  static redis_reply make_nil() { return {}; }
  static redis_reply make_integer(long long v) {
    redis_reply r;
    r.type = kind::integer;
    r.integer = v;
    return r;
  }
  static redis_reply make_text(kind k, std::string s) {
    redis_reply r;
    r.type = k;
    r.str = std::move(s);
    return r;
  }
};

// A reply, or why there is none. A server error reply (-ERR …) is a reply.
using redis_result = boost::system::result<redis_reply, redis_error>;

}  // namespace llmgw::store
