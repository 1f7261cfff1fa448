#pragma once
// One error type for every stage of the pipeline, rendered once into the
// client's API format by render_openai_error().
#include <boost/assert/source_location.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace llmgw {

struct gateway_error {
  int status = 500;
  std::string type;         // OpenAI "type": invalid_request_error, authentication_error, ...
  std::string code;         // OpenAI "code": model_not_found, invalid_api_key, ... (may be empty → null)
  std::string message;      // human readable, never contains a credential
  std::string param;        // offending field (may be empty → null)
  std::string retry_after;  // seconds, copied to the retry-after header when set
};

// {"error":{"message":..,"type":..,"param":..,"code":..}}
std::string render_openai_error(const gateway_error& e);

gateway_error invalid_request(std::string message, std::string param = {}, std::string code = {});
gateway_error missing_api_key();  // 401: no Authorization / x-api-key header at all
gateway_error invalid_api_key();
gateway_error model_not_found(std::string_view model);
gateway_error not_found_route(std::string_view method, std::string_view path);
gateway_error method_not_allowed(std::string_view method, std::string_view path);
gateway_error payload_too_large(std::size_t limit);
gateway_error headers_too_large(std::size_t limit);
gateway_error not_found_error(std::string message);  // 404 for a resource that is not there
gateway_error not_implemented(std::string message);
gateway_error upstream_unavailable(std::string message);  // 502
gateway_error upstream_timeout(std::string message);      // 504
gateway_error internal_error(std::string message);
// 503: the gateway stopped the request because it is shutting down.
gateway_error shutting_down();

// Lets boost::system::result<T, gateway_error>::value() throw (found by ADL);
// pipeline code checks has_error() instead, so this only fires on bugs.
[[noreturn]] void throw_exception_from_error(const gateway_error& e, const boost::source_location& loc);

}  // namespace llmgw
