#pragma once
// What the client is told when an upstream call fails before the vendor
// answered (or while its body was being read): the error in the gateway's
// own terms, rendered later in the client's API format.
#include <string_view>

#include "config/config.hpp"
#include "core/gateway_error.hpp"
#include "http/upstream.hpp"

namespace llmgw::api {

// Timeouts are 504 (upstream_timeout), the worker's memory limit is 503
// (gateway_memory_limit: the gateway's state, not the vendor's, so it is
// never worth another deployment), anything else is 502. Messages name the
// limit that was reached so an operator can find it in the configuration.
gateway_error upstream_failure_error(http::upstream_failure f, std::string_view provider, const config& cfg);

}  // namespace llmgw::api
