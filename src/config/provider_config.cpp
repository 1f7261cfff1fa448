#include "config/provider_config.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <stdexcept>
#include <utility>

namespace llmgw {

void set_base_url(provider_config& p, std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw std::invalid_argument("not an absolute URL");
  const boost::urls::url_view u = *parsed;

  const auto scheme = u.scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    throw std::invalid_argument("scheme must be http or https");
  }
  if (u.has_userinfo()) throw std::invalid_argument("credentials in the URL are not supported (use api_key)");
  if (u.has_query() || u.has_fragment()) throw std::invalid_argument("a base URL takes no query or fragment");
  if (u.encoded_host().empty()) throw std::invalid_argument("the URL has no host");

  const bool tls = scheme == boost::urls::scheme::https;
  std::uint16_t port = tls ? 443 : 80;
  if (u.has_port()) {
    const std::string_view digits = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      throw std::invalid_argument("invalid port");
    }
    port = static_cast<std::uint16_t>(value);
  }

  std::string host;
  std::string host_for_header;
  if (u.host_type() == boost::urls::host_type::ipv6) {
    host = std::string(u.encoded_host_address());
    host_for_header = "[" + host + "]";
  } else {
    host = std::string(u.encoded_host());
    host_for_header = host;
  }

  std::string prefix(u.encoded_path());
  // Boost.URL 1.81 reads "host:12ab/v1" as port 12 and path "ab/v1".
  if (!prefix.empty() && prefix.front() != '/') throw std::invalid_argument("invalid port");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  p.base_url = std::string(url);
  p.scheme = tls ? "https" : "http";
  p.host = std::move(host);
  p.port = port;
  p.tls = tls;
  p.path_prefix = std::move(prefix);
  p.host_header = (port == (tls ? 443 : 80)) ? host_for_header : host_for_header + ":" + std::to_string(port);
}

provider_config make_openai_compatible(std::string name, std::string_view base_url, std::string api_key,
                                       std::vector<std::string> models) {
  provider_config p;
  p.name = std::move(name);
  p.kind = provider_kind::openai_compatible;
  p.enabled = true;
  p.api_key = std::move(api_key);
  p.models = std::move(models);
  set_base_url(p, base_url);
  return p;
}

}  // namespace llmgw
