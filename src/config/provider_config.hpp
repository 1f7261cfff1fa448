#pragma once
// One configured vendor endpoint: what the user set (or the environment set
// for a built-in vendor), with its base URL parsed. How each family's wire
// looks (auth header, paths, adapter) is not here: providers/registry.cpp.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/provider_kind.hpp"

namespace llmgw {

// Deliberately has no operator<<: api_key must never reach a log line;
// describe(const config&) masks it.
struct provider_config {
  std::string name;  // the `vendor` of `vendor/model`
  provider_kind kind = provider_kind::openai_compatible;
  // The built-in vendor it was made from ("groq", "anthropic"…), whatever
  // its name; empty for a plain openai-compatible one. Prices are looked up
  // under both names (cost/price_table.hpp).
  std::string type;
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
  // Azure's api-version, Anthropic's anthropic-version; empty: the family's
  // default (providers::vendor_family::default_version).
  std::string api_version;
  // AWS credentials (Bedrock), from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  // AWS_SESSION_TOKEN / AWS_REGION. Secrets, like api_key.
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;
  std::string aws_region;
  std::vector<std::string> models;  // known model ids, listed by /v1/models
};

// Parses an http(s) base URL into p's URL fields. Throws std::invalid_argument
// (without echoing the URL, which may hold credentials) when it is not an
// absolute http(s) URL with a host and without userinfo, query or fragment.
// A trailing '/' is ignored.
void set_base_url(provider_config& p, std::string_view url);

// An enabled OpenAI-compatible provider added at runtime (the demo-mode `mock`
// vendor). Throws std::invalid_argument on a bad base URL.
provider_config make_openai_compatible(std::string name, std::string_view base_url, std::string api_key,
                                       std::vector<std::string> models);

}  // namespace llmgw
