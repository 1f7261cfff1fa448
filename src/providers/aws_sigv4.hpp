#pragma once
// AWS Signature Version 4 for requests signed in the Authorization header:
// canonical request, string to sign, derived key, signature. Pure: the
// caller passes the clock reading, so a signature is reproducible in tests.
//
// Paths follow the rule for every service but S3: the canonical URI is the
// path as sent on the wire, URI-encoded once more. A Bedrock model id with
// ':' goes out as "%3A" and is signed as "%253A".
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw::providers::aws {

struct credentials {
  std::string_view access_key_id;
  std::string_view secret_access_key;
  std::string_view session_token;  // empty: long-term keys
};

struct signing_request {
  std::string_view method;  // "POST"
  std::string_view path;    // as sent: "/model/a%3Ab/converse"
  std::string_view query;   // as sent, without '?'; "" for none
  // The headers to sign, as they will be sent (any case, any order); host
  // and x-amz-date among them.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view payload;
};

// Every step, so tests can compare each one with AWS's published vectors.
struct signature_parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // 64 lowercase hex characters
  std::string authorization;  // the Authorization header value
};

// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point t);

// RFC 3986 unreserved characters stay, every other byte becomes %XX
// (uppercase hex); '/' stays when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

std::string canonical_uri(std::string_view wire_path);
// Parameters decoded, re-encoded and sorted by name, then value.
std::string canonical_query(std::string_view wire_query);

// HMAC-SHA256 chain over date (yyyymmdd), region, service, "aws4_request"; raw bytes.
std::string signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                        std::string_view service);

// `date_time` is amz_date() of the signing time and must equal the
// x-amz-date header among `r.headers`.
signature_parts sign(const signing_request& r, const credentials& c, std::string_view region, std::string_view service,
                     std::string_view date_time);

std::string to_hex(std::string_view bytes);

}  // namespace llmgw::providers::aws
