#include "providers/aws_sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "core/hex.hpp"
#include "core/sha256.hpp"

namespace llmgw::providers::aws {

namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), digest, &length)) {
    throw std::runtime_error("HMAC-SHA256 computation failed");  // only when OpenSSL itself is broken
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// Leading and trailing blanks removed, inner runs of blanks made one space.
std::string trim_and_collapse(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

struct canonical_headers {
  std::string block;         // "name:value\n" per header
  std::string signed_names;  // "host;x-amz-date"
};

canonical_headers canonicalize_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  sorted.reserve(headers.size());
  for (const auto& [name, value] : headers) sorted.emplace_back(lower(name), trim_and_collapse(value));
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  canonical_headers out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const bool repeated = i > 0 && sorted[i].first == sorted[i - 1].first;
    if (repeated) {
      out.block.pop_back();  // a repeated header joins the previous line, comma separated
      out.block.append(",").append(sorted[i].second).append("\n");
      continue;
    }
    out.block.append(sorted[i].first).append(":").append(sorted[i].second).append("\n");
    if (!out.signed_names.empty()) out.signed_names.push_back(';');
    out.signed_names.append(sorted[i].first);
  }
  return out;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text, 16);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0f]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view wire_path) {
  if (wire_path.empty()) return "/";
  return uri_encode(wire_path, true);
}

std::string canonical_query(std::string_view wire_query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!wire_query.empty()) {
    const auto amp = wire_query.find('&');
    const std::string_view param = wire_query.substr(0, amp);
    wire_query = amp == std::string_view::npos ? std::string_view{} : wire_query.substr(amp + 1);
    if (param.empty()) continue;
    const auto eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
    // Query parameters may arrive encoded or not; decoding first makes both
    // spellings sign alike.
    params.emplace_back(uri_encode(percent_decode(name), false), uri_encode(percent_decode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string secret = "AWS4";
  secret.append(secret_access_key);
  std::string key = hmac_sha256(secret, date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  return hmac_sha256(key, "aws4_request");
}

signature_parts sign(const signing_request& r, const credentials& c, std::string_view region, std::string_view service,
                     std::string_view date_time) {
  const canonical_headers headers = canonicalize_headers(r.headers);
  signature_parts parts;
  parts.canonical_request.append(r.method).append("\n");
  parts.canonical_request.append(canonical_uri(r.path)).append("\n");
  parts.canonical_request.append(canonical_query(r.query)).append("\n");
  parts.canonical_request.append(headers.block).append("\n");
  parts.canonical_request.append(headers.signed_names).append("\n");
  parts.canonical_request.append(sha256_hex(r.payload));

  const std::string_view date = date_time.substr(0, 8);
  std::string scope;
  scope.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");

  parts.string_to_sign.append(k_algorithm).append("\n");
  parts.string_to_sign.append(date_time).append("\n");
  parts.string_to_sign.append(scope).append("\n");
  parts.string_to_sign.append(sha256_hex(parts.canonical_request));

  parts.signature = to_hex(hmac_sha256(signing_key(c.secret_access_key, date, region, service), parts.string_to_sign));

  parts.authorization.append(k_algorithm).append(" Credential=").append(c.access_key_id).append("/").append(scope);
  parts.authorization.append(", SignedHeaders=").append(headers.signed_names);
  parts.authorization.append(", Signature=").append(parts.signature);
  return parts;
}

}  // namespace llmgw::providers::aws
