#pragma once
// Where and how the gateway sends a request it builds itself (OpenAI's API,
// or an Anthropic client's request passed through): a configured provider
// (config/provider_config.hpp) spoken as its family's row says
// (providers/registry.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/provider_config.hpp"

namespace llmgw {

enum class endpoint { chat_completions, embeddings, models };

// Where and how to send one upstream request.
struct upstream_target {
  std::string host;  // connect to this (and SNI when tls)
  std::uint16_t port = 0;
  bool tls = false;
  std::string target;             // request-target: path and query, e.g. "/v1/chat/completions"
  std::string host_header;        // value of the host header
  std::string auth_header_name;   // empty when no key is configured
  std::string auth_header_value;  // secret
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. anthropic-version
};

// nullopt when the gateway does not build this request for p's family (the
// adapter does, or the vendor has no such endpoint: Anthropic embeddings).
// vendor_model is only used where the model is part of the URL (Azure
// deployments); nullopt there when it is empty or a dot segment
// (core/path_segment.hpp).
std::optional<upstream_target> make_target(const provider_config& p, endpoint e, std::string_view vendor_model);

}  // namespace llmgw
