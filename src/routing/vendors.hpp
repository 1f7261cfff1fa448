#pragma once
// Vendors as data: OpenAI-compatible vendors differ only in base URL, auth
// header and a few quirks, so each is a table row resolved against the
// environment, not a class. A provider_config is the resolved row.
#include "config/env_subst.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw {

enum class provider_kind {
  openai_compatible,  // OpenAI wire format at {base}/chat/completions
  azure,              // OpenAI wire format at a per-deployment URL with api-version
  anthropic,          // own format: providers/anthropic.cpp
  gemini,             // own format: providers/gemini.cpp
  bedrock,            // own format and SigV4 signing: providers/bedrock.cpp
};

enum class auth_style {
  bearer,          // authorization: Bearer K
  api_key_header,  // api-key: K (Azure)
  x_api_key,       // x-api-key: K (Anthropic)
};

// One vendor endpoint with its credentials. Deliberately has no operator<<:
// api_key must never reach a log line; describe(const config&) masks it.
struct provider_config {
  std::string name;  // the `vendor` of `vendor/model`
  provider_kind kind = provider_kind::openai_compatible;
  bool enabled = false;
  // When !enabled, completes "vendor \"groq\" ...", e.g. "has no API key configured (set GROQ_API_KEY)".
  std::string disabled_reason;

  // Base URL as given, and parsed (Boost.URL) so users need not parse it again.
  std::string base_url;
  std::string scheme;       // "http" or "https"
  std::string host;         // to connect to and for SNI; IPv6 without brackets
  std::uint16_t port = 0;   // explicit or the scheme's default
  std::string path_prefix;  // "" or e.g. "/v1"; never ends in '/'
  bool tls = false;
  std::string host_header;  // value of the host header: host, or host:port if not default

  std::string api_key;  // secret; empty means no auth header is sent
  auth_style auth = auth_style::bearer;
  std::string api_version;  // Azure's api-version query parameter; Anthropic's anthropic-version
  // AWS credentials (Bedrock), from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  // AWS_SESSION_TOKEN / AWS_REGION. Secrets, like api_key.
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;
  std::string aws_region;
  std::vector<std::string> models;  // known model ids, listed by /v1/models
};

// Names of the built-in vendors, in table order.
const std::vector<std::string_view>& builtin_vendor_names();

// Every built-in vendor resolved against the environment, enabled or not:
// <VENDOR>_API_KEY enables it, <VENDOR>_BASE_URL re-points it (see vendors.cpp
// for Azure, Ollama and vLLM). Throws std::invalid_argument when an enabled
// vendor's base URL variable is malformed (the message names the variable).
std::vector<provider_config> builtin_vendors(const env_lookup& env);

// The built-in vendor `name` resolved against env; nullopt if `name` is not built in.
std::optional<provider_config> builtin_vendor(std::string_view name, const env_lookup& env);

// Whether a vendor of this built-in type works without an API key (local servers).
bool vendor_needs_api_key(std::string_view type);

// Parses an http(s) base URL into p's URL fields. Throws std::invalid_argument
// (without echoing the URL, which may hold credentials) when it is not an
// absolute http(s) URL with a host and without userinfo, query or fragment.
// A trailing '/' is ignored.
void set_base_url(provider_config& p, std::string_view url);

// An enabled OpenAI-compatible provider added at runtime (the demo-mode `mock`
// vendor). Throws std::invalid_argument on a bad base URL.
provider_config make_openai_compatible(std::string name, std::string_view base_url, std::string api_key,
                                       std::vector<std::string> models);

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

// nullopt when the vendor has no such endpoint (Anthropic embeddings).
// vendor_model is only used where the model is part of the URL (Azure deployments);
// nullopt there when it is empty or a dot segment (core/path_segment.hpp).
std::optional<upstream_target> make_target(const provider_config& p, endpoint e, std::string_view vendor_model);

}  // namespace llmgw
