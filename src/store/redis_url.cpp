#include "store/redis_url.hpp"

#include <charconv>

namespace llmgw::store {

namespace {

redis_error bad(std::string message) { return {redis_failure::bad_url, "bad Redis URL: " + std::move(message)}; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes s into out; false on a malformed escape.
bool percent_decode(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

template <class Int>
bool parse_number(std::string_view s, Int& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

boost::system::result<redis_url, redis_error> parse_redis_url(std::string_view url) {
  redis_url u;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("rediss://")) {
    rest = url.substr(9);
    u.tls = true;
  } else {
    return bad("it must start with redis:// or rediss://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("query parameters and fragments are not supported (give the database as /db)");

  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  // The last '@' ends the user info: a password may contain an unescaped '@'.
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = info.find(':');
    if (colon == std::string_view::npos) {
      return bad("a user name needs a password (redis://user:password@host, or redis://:password@host)");
    }
    if (!percent_decode(info.substr(0, colon), u.user)) return bad("malformed percent-escape in the user name");
    if (!percent_decode(info.substr(colon + 1), u.password)) return bad("malformed percent-escape in the password");
    if (u.password.empty()) return bad("the password is empty");
  }

  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address (missing ']')");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return bad("unexpected characters after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad("the port is empty");
    }
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("the port is empty");
    }
  }
  if (host.empty()) return bad("the host is missing");
  u.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    if (!parse_number(port, p) || p == 0 || p > 65535)
      return bad("the port must be a number from 1 to 65535, not '" + std::string(port) + "'");
    u.port = static_cast<std::uint16_t>(p);
  }
  if (!path.empty()) {
    int db = 0;
    if (!parse_number(path, db))
      return bad("the database must be a non-negative number, not '" + std::string(path) + "'");
    u.db = db;
  }
  return u;
}

std::string describe(const redis_url& u) {
  std::string out = u.tls ? "rediss://" : "redis://";
  if (!u.password.empty()) {
    out += u.user;
    out += ":***@";
  }
  const bool v6 = u.host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += u.host;
  if (v6) out += ']';
  out += ':' + std::to_string(u.port);
  out += '/' + std::to_string(u.db);
  return out;
}

}  // namespace llmgw::store
