#pragma once
// Verifies an AWS Signature Version 4 Authorization header as AWS does, for
// the mock vendor's Bedrock dialect: the canonical request is rebuilt from
// the bytes that arrived (method, the path exactly as sent, the query, the
// headers the signer listed, the SHA-256 of the body received), signed again
// with the secret the mock was given, and compared.
//
// Written apart from the gateway's signer (providers/aws_sigv4.cpp) on
// purpose: a verifier sharing the signer's code would accept its mistakes.
// A path sent as "/model/a:b/…" while "/model/a%3Ab/…" was signed (or the
// other way round) fails here, as it does at AWS.
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "mock/openai_responses.hpp"

namespace llmgw::mock {

struct sigv4_request {
  std::string_view method;
  std::string_view target;  // path and query as received
  // As received: any case, in arrival order, repeats allowed.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

struct sigv4_expectation {
  std::string_view secret_access_key;
  std::string_view service = "bedrock";  // the signing name the scope must carry
  std::chrono::system_clock::time_point now;
};

// nullopt when the signature verifies; otherwise the error AWS answers
// with, in Bedrock's shape (403, {"message":…}, x-amzn-errortype). The
// Authorization header's shape and access key id are the dialect's
// check_auth's job and are assumed checked; a header this cannot read is
// still refused.
std::optional<mock_error> verify_sigv4(const sigv4_request& r, const sigv4_expectation& e);

}  // namespace llmgw::mock
