#pragma once
// The canonical chat request and response, as adapters see them: an OpenAI
// Chat Completions body parsed into plain structs (input side), and writers
// for OpenAI chat.completion JSON and chat.completion.chunk SSE events
// (output side). Every adapter encodes from chat_request and decodes into
// chat_completion / chunk_writer, so the OpenAI side of each translation is
// written once.
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway_error.hpp"
#include "core/token_usage.hpp"

namespace llmgw::providers {

// ---------------------------------------------------------------- input

// An image_url part. Data URLs are split into media type and base64 data;
// other URLs (https) are kept as they are.
struct image_ref {
  std::string url;         // the URL as the client sent it (empty for data URLs)
  std::string media_type;  // "image/png" (data URLs only)
  std::string data;        // base64 payload (data URLs only)
  bool is_data() const { return url.empty(); }
};

struct content_part {
  enum class kind { text, image } type = kind::text;
  std::string text;
  image_ref image;
};

struct tool_call {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as OpenAI carries it
};

struct chat_message {
  std::string role;                   // system, developer, user, assistant, tool
  std::vector<content_part> parts;    // a string content is one text part; null content none
  std::vector<tool_call> tool_calls;  // assistant
  std::string tool_call_id;           // tool
  std::string name;                   // optional participant / function name
  // All text parts joined with "\n" (what a text-only vendor field gets).
  std::string text() const;
};

struct tool_def {
  std::string name;
  std::string description;
  boost::json::value parameters;  // JSON schema; an empty object schema when absent
};

struct tool_choice {
  enum class mode { unset, auto_, none, required, named } kind = mode::unset;
  std::string name;  // named
};

struct response_format {
  enum class kind { text, json_object, json_schema } type = kind::text;
  std::string schema_name;    // json_schema.name
  boost::json::value schema;  // json_schema.schema
  bool strict = false;
};

struct chat_request {
  std::string model;
  std::vector<chat_message> messages;
  std::vector<tool_def> tools;
  tool_choice choice;
  std::optional<bool> parallel_tool_calls;
  response_format format;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  std::vector<std::string> stop;           // a string stop becomes one entry
  std::optional<std::int64_t> seed;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::string user;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Parses a body that already passed the gateway's validation (api/chat_request).
// Still returns a 400 naming the field for shapes adapters cannot read, so
// an adapter never works on a half-understood request.
boost::system::result<chat_request, gateway_error> parse_chat_request(std::string_view body);
// The same from a body already parsed (a JSON object).
boost::system::result<chat_request, gateway_error> parse_chat_document(const boost::json::value& doc);

// "data:image/png;base64,AAAA" → media type and payload; nullopt when `url`
// is not a base64 data URL.
std::optional<image_ref> parse_data_url(std::string_view url);

// ---------------------------------------------------------------- output

// One choice of a non-streamed chat.completion.
struct chat_completion {
  std::optional<std::string> content;  // null when the reply is only tool calls
  std::vector<tool_call> tool_calls;
  std::string finish_reason = "stop";  // stop, length, tool_calls, content_filter
  token_usage usage;
};

// {"id":…,"object":"chat.completion","created":…,"model":…,"choices":[…],"usage":{…}}
// with a fresh chatcmpl- id and the current time.
std::string render_chat_completion(const chat_completion& c, std::string_view model);

// "usage" object body: prompt/completion/total and prompt_tokens_details.cached_tokens.
void append_openai_usage(std::string& out, const token_usage& u);

// Writes the OpenAI side of a translated stream, one SSE event per call,
// keeping the order OpenAI's own streams have: the role chunk before
// anything else, tool calls numbered from 0 in the order they start, one
// finish chunk, then the usage chunk (only when asked for) and [DONE].
class chunk_writer {
 public:
  chunk_writer(std::string id, std::int64_t created, std::string model, bool include_usage);

  void role(std::string& out);                            // once; later calls do nothing
  void content(std::string& out, std::string_view text);  // sends role() first when needed
  // A new tool call; returns its OpenAI index (0, 1, …).
  int tool_call_start(std::string& out, std::string_view id, std::string_view name);
  void tool_call_arguments(std::string& out, int index, std::string_view fragment);
  void finish(std::string& out, std::string_view finish_reason);  // once
  // The usage chunk when include_usage; then [DONE]. Sends finish("stop")
  // first when no finish chunk went out.
  void done(std::string& out, const std::optional<token_usage>& usage);

  bool finished() const { return finished_; }
  bool role_sent() const { return role_sent_; }
  int tool_calls() const { return next_tool_index_; }

 private:
  void open(std::string& out) const;  // data: {"id":…,"object":…,"created":…,"model":…,"choices":[
  std::string head_;                  // the constant start of every chunk
  bool include_usage_;
  bool role_sent_ = false;
  bool finished_ = false;
  int next_tool_index_ = 0;
};

}  // namespace llmgw::providers
