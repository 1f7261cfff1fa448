#include "providers/anthropic_inbound.hpp"

#include "core/json_escape.hpp"

namespace llmgw::providers {

std::string_view anthropic_error_type_for(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      // Anthropic uses invalid_request_error for the 4xx it does not list.
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

int anthropic_status_for(const gateway_error& e) { return e.status >= 400 && e.status <= 599 ? e.status : 500; }

std::string render_anthropic_error(const gateway_error& e) {
  std::string out;
  out.reserve(64 + e.message.size());
  out.append(R"({"type":"error","error":{"type":)");
  append_json_string(out, anthropic_error_type_for(anthropic_status_for(e)));
  out.append(R"(,"message":)");
  append_json_string(out, e.message);
  out.append("}}");
  return out;
}

}  // namespace llmgw::providers
