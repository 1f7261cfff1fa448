#pragma once
// Validation of a POST /v1/chat/completions body, without building a tree:
// known fields are type-checked against the OpenAI schema, unknown fields are
// kept (and still checked to be well-formed JSON), and the few facts the
// gateway needs are returned with the byte positions it needs to rewrite the
// body by splicing instead of re-serializing it.
#include "api/request_json.hpp"
#include "core/gateway_error.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::api {

// How rewrite_chat_body() turns stream_options.include_usage on.
enum class usage_splice : std::uint8_t {
  none,                     // already true
  add_stream_options,       // no stream_options: insert the field after the body's '{'
  replace_stream_options,   // stream_options is null: replace the token
  add_include_usage,        // empty stream_options object: insert after its '{'
  add_include_usage_comma,  // stream_options has other fields: insert after its '{', with a comma
  replace_include_usage,    // include_usage is false or null: replace the token
};

struct chat_request_info {
  model_token model;  // model.name() is the requested model; views the body
  bool stream = false;
  bool has_stream_options = false;         // stream_options is an object
  bool client_include_usage = false;       // stream_options.include_usage is true
  std::optional<std::int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  std::int64_t n = 1;                      // choices asked for
  std::size_t message_count = 0;
  std::string user;  // the `user` field, unescaped; empty: not given
  // A top-level "metadata" field is there (kept as it is, for the usage
  // record): the body is read for it only then.
  bool has_metadata = false;

  // Where to splice include_usage in (see usage_splice).
  usage_splice usage_edit = usage_splice::add_stream_options;
  std::size_t usage_offset = 0;
  std::size_t usage_length = 0;
};

// Validates `body` (which gains simdjson's padding as spare capacity; its
// bytes are not changed). On success the info's views point into `body`.
boost::system::result<chat_request_info, gateway_error> parse_chat_request(std::string& body);

// A copy of `body` with the model replaced by `new_model` (when given) and,
// when `inject_include_usage`, stream_options.include_usage set to true.
// Only for bodies that passed parse_chat_request() with this info. Inject only
// into streamed requests: OpenAI rejects stream_options without stream.
std::string rewrite_chat_body(std::string_view body, const chat_request_info& info,
                              std::optional<std::string_view> new_model, bool inject_include_usage);

}  // namespace llmgw::api
