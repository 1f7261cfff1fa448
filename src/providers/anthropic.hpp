#pragma once
// The Anthropic Messages API adapter: OpenAI chat requests out to
// POST {base}/v1/messages, Anthropic messages, SSE events and errors back
// in OpenAI's format. Pure, like every adapter:
//   request  → anthropic_encode.cpp
//   response and errors → anthropic_decode.cpp
//   stream   → anthropic_stream.cpp
//   max_tokens defaults per model → anthropic_models.cpp
//
// Choices a reader should know about:
// - response_format json_schema / json_object have no Anthropic equivalent
//   here; the request gets one extra tool whose input_schema is the schema
//   (an open object schema for json_object), forced with tool_choice, and
//   the answer tool's input comes back as the message content with
//   finish_reason "stop". The tool's name starts with k_answer_tool_prefix so
//   the stateless decoders recognise it; client tools may not use the prefix.
// - seed, presence_penalty and frequency_penalty have no Anthropic
//   counterpart and are dropped; temperature and top_p pass as they are
//   (Anthropic answers 400 outside its 0..1 range, which reaches the client).
#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/gateway_error.hpp"
#include "core/sse_reader.hpp"
#include "core/token_usage.hpp"
#include "providers/openai_chat.hpp"
#include "providers/provider.hpp"

namespace llmgw::providers {

const provider& anthropic_provider();

inline constexpr std::string_view k_anthropic_default_version = "2023-06-01";

// Names of the tool that carries a structured (response_format) answer.
inline constexpr std::string_view k_answer_tool_prefix = "llmgw_json_";
inline bool is_answer_tool(std::string_view name) { return name.starts_with(k_answer_tool_prefix); }

// The parsed OpenAI request → the Anthropic request (target, headers, body).
boost::system::result<upstream_request, gateway_error> encode_anthropic_messages(const chat_request& r,
                                                                                 const vendor_endpoint& ep,
                                                                                 const chat_encode_options& o);

// An Anthropic message (2xx body) → the OpenAI choice, usage included.
boost::system::result<chat_completion, gateway_error> decode_anthropic_message(std::string_view body);

// Anthropic stop_reason → OpenAI finish_reason. `only_answer_tool` is true
// when every tool_use block was the response_format answer tool.
std::string_view openai_finish_reason_for(std::string_view stop_reason, bool only_answer_tool);

// An Anthropic "usage" object's counts in the gateway's terms: prompt tokens
// include the cache reads and writes (Anthropic reports them apart).
token_usage anthropic_usage(std::int64_t input, std::int64_t output, std::int64_t cache_read,
                            std::int64_t cache_creation);

// Anthropic error {"type":"error","error":{"type","message"}} with its HTTP
// status → the gateway error. 529 overloaded_error becomes 503; the OpenAI
// type follows the status; the Anthropic type is kept as the code.
gateway_error decode_anthropic_error(int status, std::string_view body);

// The HTTP status Anthropic uses for an error type (for errors that arrive
// inside a stream, without a status): overloaded_error → 529, unknown → 500.
int anthropic_status_for_error_type(std::string_view type);

std::unique_ptr<stream_translator> make_anthropic_stream_translator(const stream_options& o);

// Anthropic usage across a stream: message_start carries the input side,
// message_delta cumulative counts; a field present later wins.
class anthropic_usage_tally {
 public:
  token_usage update(const boost::json::object& usage);

 private:
  std::int64_t input_ = 0, output_ = 0, cache_read_ = 0, cache_creation_ = 0;
};

// The usage of an Anthropic stream that is relayed as it is (an Anthropic
// client's own stream): reads only the events that carry usage, translates
// nothing.
class anthropic_usage_reader {
 public:
  void feed(std::string_view bytes);
  const std::optional<token_usage>& usage() const { return usage_; }

 private:
  sse_reader reader_;
  anthropic_usage_tally tally_;
  std::optional<token_usage> usage_;
};

// The usage of a whole Anthropic message (2xx body), without decoding its content.
std::optional<token_usage> anthropic_message_usage(std::string_view body);

}  // namespace llmgw::providers
