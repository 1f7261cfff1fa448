#include "store/redis_error.hpp"

#include <stdexcept>

namespace llmgw::store {

std::string_view describe(redis_failure f) {
  switch (f) {
    case redis_failure::bad_url:
      return "bad Redis URL";
    case redis_failure::connect:
      return "could not connect to Redis";
    case redis_failure::tls:
      return "TLS with Redis failed";
    case redis_failure::auth:
      return "Redis refused the connection's AUTH or SELECT";
    case redis_failure::timeout:
      return "Redis did not answer in time";
    case redis_failure::disconnected:
      return "the Redis connection broke";
    case redis_failure::backing_off:
      return "Redis is unreachable; waiting before the next connect";
    case redis_failure::protocol:
      return "Redis sent an invalid reply";
    case redis_failure::routing:
      return "Redis Cluster routing failed";
  }
  return "unknown";
}

void throw_exception_from_error(const redis_error& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

}  // namespace llmgw::store
