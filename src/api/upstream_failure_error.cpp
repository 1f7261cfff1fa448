#include "api/upstream_failure_error.hpp"

#include <string>

namespace llmgw::api {

gateway_error upstream_failure_error(http::upstream_failure f, std::string_view provider, const config& cfg) {
  using http::upstream_failure;
  if (f == upstream_failure::over_budget) {
    gateway_error e;
    e.status = 503;
    e.type = "api_error";
    e.code = "gateway_memory_limit";
    e.message =
        "The gateway is holding as many request and response bodies as its memory limit allows "
        "(server.max_buffer_bytes, " +
        std::to_string(cfg.server.max_buffer_bytes) +
        " bytes per worker); the request was not completed. Try again shortly.";
    return e;
  }
  std::string msg = "Upstream provider ";
  msg.append(provider);
  msg.append(": ");
  msg.append(http::describe(f));
  switch (f) {
    case upstream_failure::total_timeout:
      msg.append(" (upstream.total_timeout_ms, " + std::to_string(cfg.upstream.total_timeout.count()) + " ms)");
      break;
    case upstream_failure::too_large:
      msg.append(" (upstream.max_response_bytes, " + std::to_string(cfg.upstream.max_response_bytes) + " bytes)");
      break;
    default:
      break;
  }
  msg.push_back('.');
  switch (f) {
    case upstream_failure::connect_timeout:
    case upstream_failure::first_byte_timeout:
    case upstream_failure::idle_timeout:
    case upstream_failure::total_timeout:
      return upstream_timeout(std::move(msg));
    default:
      return upstream_unavailable(std::move(msg));
  }
}

}  // namespace llmgw::api
