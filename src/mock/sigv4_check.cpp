#include "mock/sigv4_check.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <string>

#include "core/hex.hpp"
#include "core/json_escape.hpp"
#include "core/sha256.hpp"

namespace llmgw::mock {

namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";
// How far x-amz-date may be from the receiver's clock; AWS's messages name
// the window ("(… - 5 min.)", seen on 403 answers of REST-JSON services,
// e.g. github.com/NickWaterton/Roomba980-Python/issues/118).
constexpr auto k_max_skew = std::chrono::minutes(5);

// The type Bedrock names a signature failure with, suffix included, as its
// x-amzn-ErrorType header carries it (github.com/aws-beam/aws-erlang/issues/161).
constexpr std::string_view k_invalid_signature =
    "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/";

mock_error refusal(std::string_view type, std::string_view message) {
  mock_error e;
  e.status = 403;
  e.body.append(R"({"message":)");
  append_json_string(e.body, message);
  e.body.push_back('}');
  e.headers.emplace_back("x-amzn-errortype", std::string(type));
  return e;
}

mock_error incomplete() {
  return refusal("IncompleteSignatureException",
                 "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

// RFC 3986 unreserved bytes stay; every other byte becomes %XX.
std::string encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

// The parts of "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
struct authorization {
  std::string_view credential;  // AKID/yyyymmdd/region/service/aws4_request
  std::string_view signed_headers;
  std::string_view signature;
};

std::optional<authorization> parse_authorization(std::string_view value) {
  if (!value.starts_with(k_algorithm) || value.size() == k_algorithm.size() || value[k_algorithm.size()] != ' ')
    return std::nullopt;
  value.remove_prefix(k_algorithm.size() + 1);
  authorization a;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view item = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = item.substr(0, eq);
    const std::string_view v = item.substr(eq + 1);
    if (key == "Credential") {
      a.credential = v;
    } else if (key == "SignedHeaders") {
      a.signed_headers = v;
    } else if (key == "Signature") {
      a.signature = v;
    }
  }
  if (a.credential.empty() || a.signed_headers.empty() || a.signature.empty()) return std::nullopt;
  return a;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

// "20150830T123600Z" → a time point; nullopt when it is not that shape.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  int fields[6];
  const int offsets[6] = {0, 4, 6, 9, 11, 13};
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    int v = 0;
    for (int j = 0; j < widths[i]; ++j) {
      const char c = s[static_cast<std::size_t>(offsets[i] + j)];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    fields[i] = v;
  }
  std::tm t{};
  t.tm_year = fields[0] - 1900;
  t.tm_mon = fields[1] - 1;
  t.tm_mday = fields[2];
  t.tm_hour = fields[3];
  t.tm_min = fields[4];
  t.tm_sec = fields[5];
  return std::chrono::system_clock::from_time_t(timegm(&t));
}

std::string format_amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text, 16);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view param : split(query, '&')) {
    if (param.empty()) continue;
    const auto eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    params.emplace_back(encode(percent_decode(name), false), encode(percent_decode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

// "name:value\n" for one signed header: every received value of it, blanks
// trimmed and collapsed, joined with ','.
void append_canonical_header(std::string& out, std::string_view name, const sigv4_request& r) {
  out.append(name).push_back(':');
  bool first = true;
  for (const auto& [n, v] : r.headers) {
    if (!iequals(n, name)) continue;
    if (!first) out.push_back(',');
    first = false;
    bool pending_space = false;
    bool any = false;
    for (char c : trim(v)) {
      if (c == ' ' || c == '\t') {
        pending_space = any;
        continue;
      }
      if (pending_space) out.push_back(' ');
      pending_space = false;
      any = true;
      out.push_back(c);
    }
  }
  out.push_back('\n');
}

std::string_view header_of(const sigv4_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (iequals(n, name)) return v;
  return {};
}

}  // namespace

std::optional<mock_error> verify_sigv4(const sigv4_request& r, const sigv4_expectation& e) {
  const auto auth = parse_authorization(header_of(r, "authorization"));
  if (!auth) return incomplete();
  const auto scope = split(auth->credential, '/');
  if (scope.size() != 5) return incomplete();
  if (scope[3] != e.service) {
    // The trailing space is AWS's own (e.g. github.com/aws/aws-sdk-go-v2/issues/163).
    return refusal(k_invalid_signature,
                   "Credential should be scoped to correct service: '" + std::string(e.service) + "'. ");
  }
  const auto names = split(auth->signed_headers, ';');
  if (std::find(names.begin(), names.end(), "host") == names.end())
    return refusal(k_invalid_signature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  const std::string_view date_time = header_of(r, "x-amz-date");
  const auto signed_at = parse_amz_date(date_time);
  if (signed_at) {
    // "Signature expired: <signed> is now earlier than <now - 5 min> (<now> - 5 min.)", and its mirror.
    if (*signed_at < e.now - k_max_skew) {
      return refusal(k_invalid_signature, "Signature expired: " + std::string(date_time) + " is now earlier than " +
                                              format_amz_date(e.now - k_max_skew) + " (" + format_amz_date(e.now) +
                                              " - 5 min.)");
    }
    if (*signed_at > e.now + k_max_skew) {
      return refusal(k_invalid_signature, "Signature not yet current: " + std::string(date_time) +
                                              " is still later than " + format_amz_date(e.now + k_max_skew) + " (" +
                                              format_amz_date(e.now) + " + 5 min.)");
    }
  }

  const auto q = r.target.find('?');
  const std::string_view path = r.target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : r.target.substr(q + 1);

  std::string canonical;
  canonical.append(r.method).push_back('\n');
  // Every service but S3 signs the path as sent, encoded once more.
  canonical.append(path.empty() ? std::string("/") : encode(path, true)).push_back('\n');
  canonical.append(canonical_query(query)).push_back('\n');
  for (std::string_view name : names) append_canonical_header(canonical, name, r);
  canonical.push_back('\n');
  canonical.append(auth->signed_headers).push_back('\n');
  canonical.append(sha256_hex(r.body));

  // The scope as the signer wrote it: a date or region that does not fit
  // gives another signature, which is how AWS reports it too.
  std::string string_to_sign;
  string_to_sign.append(k_algorithm).push_back('\n');
  string_to_sign.append(date_time).push_back('\n');
  string_to_sign.append(auth->credential.substr(scope[0].size() + 1)).push_back('\n');
  string_to_sign.append(sha256_hex(canonical));

  std::string key = hmac("AWS4" + std::string(e.secret_access_key), date_time.substr(0, 8));
  key = hmac(key, scope[2]);
  key = hmac(key, scope[3]);
  key = hmac(key, "aws4_request");
  const std::string expected = hex(hmac(key, string_to_sign));
  if (signed_at && scope[1] == date_time.substr(0, 8) && scope[4] == "aws4_request" && expected == auth->signature)
    return std::nullopt;

  // Bedrock's message goes on with what it computed, which is what makes a
  // signing bug findable (github.com/BerriAI/litellm/issues/14763).
  std::string message =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
      "Key and signing method. Consult the service documentation for details.";
  message.append("\n\nThe Canonical String for this request should have been\n'");
  message.append(canonical);
  message.append("'\n\nThe String-to-Sign should have been\n'");
  message.append(string_to_sign);
  message.append("'\n");
  return refusal(k_invalid_signature, message);
}

}  // namespace llmgw::mock
