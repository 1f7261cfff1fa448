#pragma once
// How one vendor's chat API looks on the wire, for the mock vendor: reading
// a request, rendering the reply whole or as a stream, and the vendor's own
// error bodies. The mock's behaviour (reply text, tool calls, scripts,
// pacing, resets, hangs) is the same for every vendor; only these bytes
// differ. Pure: no I/O, no Asio.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mock/openai_responses.hpp"
#include "mock/request_reader.hpp"

namespace llmgw::mock {

// Everything of one reply, decided before the first byte is written.
struct reply {
  const completion_meta& meta;      // id, created, model (as the client named it)
  std::string_view text;            // the reply text when not a tool call
  const tool_call* call = nullptr;  // a tool call instead of text
  std::string_view finish_reason;   // in OpenAI terms: stop, length, tool_calls
  usage_counts usage;
  bool include_usage = false;  // OpenAI only: stream_options.include_usage
};

// The events of one streamed reply. The mock calls begin(), then piece()
// once per token of text (or fragment of tool-call arguments), pacing and
// cutting the stream between calls as scripted, then end().
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  virtual void begin(std::string& out) = 0;
  virtual void piece(std::string& out, std::string_view fragment) = 0;
  virtual void end(std::string& out) = 0;
};

using header_lookup = std::function<std::string_view(std::string_view name)>;  // lower-case name; "" when absent

class dialect {
 public:
  virtual ~dialect() = default;
  virtual std::string_view name() const = 0;  // "openai", "anthropic", "gemini", "bedrock"

  // The vendor's authentication: nullopt when the request may pass. An
  // empty `expected_key` accepts any non-empty credential.
  virtual std::optional<mock_error> check_auth(const header_lookup& headers, std::string_view query,
                                               std::string_view expected_key) const = 0;

  // Reads a chat request. `path_model` is the model named by the URL
  // (Gemini, Bedrock), empty otherwise; `path_stream` is true when the URL
  // asks for a stream (Gemini :streamGenerateContent, Bedrock
  // /converse-stream). `out.last_user_content` may view `body` (raw JSON
  // is fine: markers are looked for in it).
  virtual std::optional<mock_error> read_chat(std::string& body, std::string_view path_model, bool path_stream,
                                              chat_request_info& out) const = 0;
  // The tool call to answer with: `wanted` names the tool (empty: the first
  // one the request offers); arguments fit the tool's schema.
  virtual std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) const = 0;

  // How many images the request carries, in the vendor's own image parts:
  // the reply says so, which shows a test the images arrived translated.
  virtual std::size_t count_images(std::string_view body) const = 0;

  virtual std::string_view content_type() const { return "application/json"; }
  virtual void render_reply(std::string& out, const reply& r) const = 0;

  virtual std::string_view stream_content_type() const { return "text/event-stream"; }
  virtual std::unique_ptr<stream_writer> stream(const reply& r) const = 0;

  // The error a vendor reports inside a stream that has begun (an overload
  // in the middle of a reply), in its own framing.
  virtual void stream_error(std::string& out) const = 0;

  // The body (and headers) the vendor sends with `status`.
  virtual mock_error scripted_error(int status, std::string_view model) const = 0;
  // A request the mock cannot read (bad JSON, missing field).
  virtual mock_error invalid_request(std::string_view message) const = 0;
  // A path the vendor does not serve.
  virtual mock_error unknown_endpoint(std::string_view method, std::string_view path) const {
    (void)method;
    (void)path;
    return invalid_request("Unknown endpoint.");
  }
};

// Occurrences of any of `markers` in `body` (the mock's bodies are compact
// JSON, so a key with its opening is a reliable count).
std::size_t count_occurrences(std::string_view body, std::initializer_list<std::string_view> markers);

const dialect& openai_dialect();
const dialect& anthropic_dialect();
const dialect& gemini_dialect();
const dialect& bedrock_dialect();

}  // namespace llmgw::mock
