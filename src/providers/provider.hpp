#pragma once
// The adapter interface for vendors whose wire format is not OpenAI's.
// Adapters are pure: bytes and JSON in, bytes and JSON out, no I/O, no Asio
// or Beast. The api layer sends what encode_*() returns and feeds what comes
// back to decode_*() or to a stream_translator.
//
// The canonical format is OpenAI Chat Completions: an adapter's input is a
// validated OpenAI request body, its output OpenAI response JSON or OpenAI
// chat.completion.chunk SSE events.
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/gateway_error.hpp"
#include "core/token_usage.hpp"

namespace llmgw::providers {

// Where a request goes and with which credentials; the api layer fills it
// from the routing configuration. Views stay valid for the call.
struct vendor_endpoint {
  std::string_view host;         // e.g. api.anthropic.com (SigV4 signs it)
  std::string_view base_path;    // path prefix of the base URL: "" or e.g. "/v1beta"; never ends in '/'
  std::string_view api_key;      // Anthropic x-api-key, Gemini x-goog-api-key
  std::string_view api_version;  // Anthropic anthropic-version (default 2023-06-01)
  // AWS (Bedrock)
  std::string_view aws_access_key_id;
  std::string_view aws_secret_access_key;
  std::string_view aws_session_token;  // may be empty
  std::string_view aws_region;
};

// What to send. The caller adds host, content-type, content-length and
// accept; everything vendor-specific (auth, versions, signatures) is here.
struct upstream_request {
  std::string target;  // path and query, e.g. "/v1/messages"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Client parameters left out because the vendor refuses them in this
  // combination (top_p beside temperature for recent Claude models): the
  // request is still answered, and the access log says what was dropped.
  // Static names.
  std::vector<std::string_view> dropped_params;
};

struct chat_encode_options {
  std::string_view vendor_model;  // the vendor's model id (route attempt)
  bool stream = false;
  std::int64_t default_max_tokens = 4096;  // when the client gave none and the vendor requires one
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();  // SigV4 date
};

struct stream_options {
  std::string_view requested_model;  // echoed in every chunk's "model"
  bool include_usage = false;        // the client asked for the usage chunk
  std::string id;                    // chunk id, e.g. "chatcmpl-..."
  std::int64_t created = 0;          // unix seconds
};

// Turns one vendor stream body into OpenAI chat.completion.chunk events.
class stream_translator {
 public:
  virtual ~stream_translator() = default;
  // The vendor's body bytes as they arrive, split anywhere. Appends complete
  // OpenAI SSE events ("data: {...}\n\n") to `out`; never buffers a complete
  // vendor event.
  virtual void feed(std::string_view bytes, std::string& out) = 0;
  // The vendor's body ended. Appends the remaining events: the final chunk
  // with finish_reason when not sent yet, the usage chunk when asked for, and
  // "data: [DONE]\n\n" when the stream completed normally.
  virtual void finish(std::string& out) = 0;
  // Set when the vendor reported an error inside the stream or the bytes
  // could not be decoded; the caller ends the client's stream with it.
  virtual const std::optional<gateway_error>& error() const = 0;
  // The vendor's usage, once it has been seen.
  virtual const std::optional<token_usage>& usage() const = 0;
};

class provider {
 public:
  virtual ~provider() = default;
  virtual std::string_view name() const = 0;

  // A validated OpenAI chat request body → the vendor's request. Returns a
  // 400 gateway_error for requests the vendor cannot express.
  virtual boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                             const vendor_endpoint& ep,
                                                                             const chat_encode_options& o) const = 0;
  // The vendor's 2xx body → an OpenAI chat.completion JSON body.
  virtual boost::system::result<std::string, gateway_error> decode_chat(std::string_view body,
                                                                        std::string_view requested_model,
                                                                        token_usage* usage) const = 0;
  virtual std::unique_ptr<stream_translator> translate_stream(const stream_options& o) const = 0;
  // A vendor error (status and body) → the gateway error in OpenAI terms,
  // with the status the client should see (e.g. Anthropic 529 → 503).
  virtual gateway_error decode_error(int status, std::string_view body) const = 0;

  // Embeddings; the defaults answer that the vendor has none.
  virtual boost::system::result<upstream_request, gateway_error> encode_embeddings(std::string_view openai_body,
                                                                                   const vendor_endpoint& ep,
                                                                                   std::string_view vendor_model) const;
  virtual boost::system::result<std::string, gateway_error> decode_embeddings(std::string_view body,
                                                                              std::string_view requested_model,
                                                                              token_usage* usage) const;
};

}  // namespace llmgw::providers
