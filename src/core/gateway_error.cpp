#include "core/gateway_error.hpp"

#include "core/json_escape.hpp"

#include <stdexcept>
#include <utility>

namespace llmgw {
namespace {

constexpr std::string_view k_invalid_request = "invalid_request_error";
constexpr std::string_view k_api_error = "api_error";

gateway_error make(int status, std::string_view type, std::string_view code, std::string message) {
  gateway_error e;
  e.status = status;
  e.type = type;
  e.code = code;
  e.message = std::move(message);
  return e;
}

// "null" for an empty field: the OpenAI SDKs read a missing param/code as null.
void append_string_or_null(std::string& out, std::string_view value) {
  if (value.empty()) {
    out.append("null");
  } else {
    append_json_string(out, value);
  }
}

}  // namespace

std::string render_openai_error(const gateway_error& e) {
  std::string out;
  out.reserve(64 + e.message.size() + e.type.size() + e.param.size() + e.code.size());
  out.append(R"({"error":{"message":)");
  append_json_string(out, e.message);
  out.append(R"(,"type":)");
  append_json_string(out, e.type.empty() ? k_api_error : std::string_view(e.type));
  out.append(R"(,"param":)");
  append_string_or_null(out, e.param);
  out.append(R"(,"code":)");
  append_string_or_null(out, e.code);
  out.append("}}");
  return out;
}

gateway_error invalid_request(std::string message, std::string param, std::string code) {
  gateway_error e = make(400, k_invalid_request, code, std::move(message));
  e.param = std::move(param);
  return e;
}

gateway_error missing_api_key() {
  return make(401, k_invalid_request, "missing_api_key",
              "You didn't provide an API key. Send your gateway key in an Authorization header "
              "using Bearer auth (Authorization: Bearer YOUR_KEY), or in an x-api-key header.");
}

gateway_error invalid_api_key() {
  // The key itself is never echoed, not even masked: error bodies end up in logs.
  return make(401, "authentication_error", "invalid_api_key",
              "Incorrect API key provided. Check the gateway key sent in the Authorization header.");
}

gateway_error model_not_found(std::string_view model) {
  std::string message = "The model `";
  message.append(model);
  message.append("` does not exist or you do not have access to it.");
  return make(404, k_invalid_request, "model_not_found", std::move(message));
}

gateway_error not_found_route(std::string_view method, std::string_view path) {
  std::string message = "Invalid URL (";
  message.append(method).append(" ").append(path).append(")");
  return make(404, k_invalid_request, "unknown_url", std::move(message));
}

gateway_error method_not_allowed(std::string_view method, std::string_view path) {
  std::string message = "Method not allowed for this URL (";
  message.append(method).append(" ").append(path).append(")");
  return make(405, k_invalid_request, "method_not_allowed", std::move(message));
}

gateway_error payload_too_large(std::size_t limit) {
  return make(413, k_invalid_request, "request_too_large",
              "Request body too large: the limit is " + std::to_string(limit) + " bytes.");
}

gateway_error headers_too_large(std::size_t limit) {
  return make(431, k_invalid_request, "headers_too_large",
              "Request header fields too large: the limit is " + std::to_string(limit) + " bytes.");
}

gateway_error not_found_error(std::string message) {
  return make(404, k_invalid_request, "not_found", std::move(message));
}

gateway_error not_implemented(std::string message) {
  return make(501, k_api_error, "not_implemented", std::move(message));
}

gateway_error upstream_unavailable(std::string message) {
  return make(502, k_api_error, "upstream_unavailable", std::move(message));
}

gateway_error upstream_timeout(std::string message) {
  return make(504, k_api_error, "upstream_timeout", std::move(message));
}

gateway_error internal_error(std::string message) {
  return make(500, k_api_error, "internal_error", std::move(message));
}

gateway_error shutting_down() {
  return make(503, k_api_error, "gateway_shutting_down",
              "The gateway is shutting down and stopped this request before it was complete; retry it.");
}

void throw_exception_from_error(const gateway_error& e, const boost::source_location&) {
  throw std::runtime_error("gateway_error " + std::to_string(e.status) + ": " + e.message);
}

}  // namespace llmgw
