#include "routing/vendors.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "core/path_segment.hpp"
#include "providers/registry.hpp"

namespace llmgw {
namespace {

using providers::auth_style;

std::string_view auth_header_name(auth_style a) {
  switch (a) {
    case auth_style::bearer:
      return "authorization";
    case auth_style::api_key_header:
      return "api-key";
    case auth_style::x_api_key:
      return "x-api-key";
    case auth_style::by_adapter:
      break;
  }
  return {};
}

std::string_view path_of(const providers::vendor_family& f, endpoint e) {
  switch (e) {
    case endpoint::chat_completions:
      return f.chat_path;
    case endpoint::embeddings:
      return f.embeddings_path;
    case endpoint::models:
      return f.models_path;
  }
  return {};
}

}  // namespace

std::optional<upstream_target> make_target(const provider_config& p, endpoint e, std::string_view vendor_model) {
  const providers::vendor_family& family = providers::family_of(p.kind);
  const std::string_view path = path_of(family, e);
  if (path.empty()) return std::nullopt;

  upstream_target t;
  t.host = p.host;
  t.port = p.port;
  t.tls = p.tls;
  t.host_header = p.host_header;
  if (!p.api_key.empty() && family.auth != auth_style::by_adapter) {
    t.auth_header_name = auth_header_name(family.auth);
    t.auth_header_value = family.auth == auth_style::bearer ? "Bearer " + p.api_key : p.api_key;
  }

  t.target = p.path_prefix;
  constexpr std::string_view k_model = "{model}";
  if (const std::size_t at = path.find(k_model); at != std::string_view::npos) {
    // The model is a path segment: encode everything but the unreserved
    // characters so a stray '/' or '?' cannot change the URL. "." and ".."
    // are unreserved, so they are refused instead (the router answers such
    // models with a 400 before they get here).
    if (!usable_in_path(vendor_model)) return std::nullopt;
    t.target.append(path.substr(0, at));
    t.target += boost::urls::encode(vendor_model, boost::urls::unreserved_chars);
    t.target.append(path.substr(at + k_model.size()));
  } else {
    t.target.append(path);
  }

  const std::string_view version = p.api_version.empty() ? family.default_version : std::string_view(p.api_version);
  if (!family.version_query.empty()) {
    t.target.append("?").append(family.version_query).append("=");
    t.target += boost::urls::encode(version, boost::urls::unreserved_chars);
  }
  if (!family.version_header.empty()) t.extra_headers.emplace_back(family.version_header, version);
  return t;
}

}  // namespace llmgw
