#pragma once
// What a Redis call returns when it got no reply: the server's own error
// replies (-ERR, -WRONGTYPE, ...) are replies, not these.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace llmgw::store {

enum class redis_failure {
  bad_url,       // the URL given could not be parsed
  connect,       // refused, unreachable, DNS, connect timeout
  tls,           // handshake or certificate verification failed
  auth,          // AUTH or SELECT refused on connect
  timeout,       // no reply within the command's timeout
  disconnected,  // the connection broke with the command pending
  backing_off,   // the last connect failed; failing fast until the next attempt
  protocol,      // the server sent what RESP does not allow
  routing,       // Redis Cluster: no node known for the slot, or too many redirections
};

std::string_view describe(redis_failure f);

struct redis_error {
  redis_failure failure = redis_failure::disconnected;
  std::string message;  // human readable; never contains the password
};

// Lets boost::system::result<T, redis_error>::value() throw (found by ADL).
[[noreturn]] void throw_exception_from_error(const redis_error& e, const boost::source_location& loc);

}  // namespace llmgw::store
