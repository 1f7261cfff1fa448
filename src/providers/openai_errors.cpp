#include "providers/openai_errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace llmgw::providers {

namespace {

std::string string_field(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return {};
}

// Removes the credential and anything that looks like a long secret token
// following "key" wording; vendors sometimes echo a masked key, never trust it.
void scrub(std::string& text, std::string_view secret) {
  if (secret.size() >= 4) {
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
      text.replace(pos, secret.size(), "[redacted]");
  }
  // "Incorrect API key provided: sk-abc...xyz." → drop the echoed fragment.
  constexpr std::string_view marker = "API key provided: ";
  if (auto pos = text.find(marker); pos != std::string::npos) {
    auto start = pos + marker.size();
    auto end = text.find_first_of(" .\n", start);
    if (end == std::string::npos) end = text.size();
    text.replace(start, end - start, "[redacted]");
  }
}

}  // namespace

std::string_view openai_error_type_for(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "invalid_request_error";
    case 409:
      return "conflict_error";
    case 413:
      return "invalid_request_error";
    case 422:
      return "invalid_request_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

gateway_error decode_openai_error(int status, std::string_view body, std::string_view provider,
                                  std::string_view vendor_key) {
  gateway_error e;
  e.status = status;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& root = v.get_object();
    auto it = root.find("error");
    if (it != root.end() && it->value().is_object()) {
      const auto& err = it->value().get_object();
      e.message = string_field(err, "message");
      e.type = string_field(err, "type");
      e.code = string_field(err, "code");
      e.param = string_field(err, "param");
    } else if (it != root.end() && it->value().is_string()) {
      e.message = std::string(it->value().get_string());  // {"error": "text"} (some servers)
    } else {
      e.message = string_field(root, "message");
      if (e.message.empty()) e.message = string_field(root, "detail");
    }
  }
  if (e.message.empty()) {
    e.message =
        "The upstream provider " + std::string(provider) + " answered with HTTP status " + std::to_string(status) + ".";
  }
  if (e.type.empty()) e.type = std::string(openai_error_type_for(status));
  if (status == 401 || status == 403) {
    // The client's gateway key was fine; the vendor refused ours. Say so.
    e.message = "The upstream provider " + std::string(provider) + " rejected the gateway's credentials: " + e.message;
  }
  scrub(e.message, vendor_key);
  return e;
}

}  // namespace llmgw::providers
