#pragma once
// Validation of a POST /v1/embeddings body (see chat_request.hpp for the approach).
#include "api/request_json.hpp"
#include "core/gateway_error.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::api {

enum class embeddings_input_kind : std::uint8_t {
  string,        // "text"
  strings,       // ["text", ...]
  tokens,        // [1, 2, 3]
  token_arrays,  // [[1, 2], [3]]
};

struct embeddings_request_info {
  model_token model;  // model.name() is the requested model; views the body
  embeddings_input_kind input_kind = embeddings_input_kind::string;
  std::size_t input_count = 0;   // inputs to embed: 1 for a string or one token array
  std::size_t input_bytes = 0;   // bytes of text inputs as written, for token estimates
  std::size_t input_tokens = 0;  // token ids given directly
  bool base64 = false;           // encoding_format is "base64"
  std::optional<std::int64_t> dimensions;
  std::string user;           // the `user` field, unescaped; empty: not given
  bool has_metadata = false;  // a top-level "metadata" field is there (for the usage record)
};

// Validates `body` (which gains simdjson's padding as spare capacity; its
// bytes are not changed). On success the info's views point into `body`.
boost::system::result<embeddings_request_info, gateway_error> parse_embeddings_request(std::string& body);

}  // namespace llmgw::api
