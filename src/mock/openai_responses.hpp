#pragma once
// OpenAI response bodies, written by hand into a caller's buffer (no DOM):
// chat.completion objects, chat.completion.chunk SSE events, model lists
// and error bodies, with the field names and order OpenAI uses.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw::mock {

struct usage_counts {
  std::uint64_t prompt = 0;  // every input token, cached and cache-write ones included (OpenAI's count)
  std::uint64_t completion = 0;
  std::uint64_t cached = 0;       // of prompt: read from the vendor's prompt cache
  std::uint64_t cache_write = 0;  // of prompt: written to it (Anthropic, Bedrock; OpenAI and Gemini report none)
  // Input tokens outside the cache, as Anthropic and Bedrock count them.
  std::uint64_t uncached() const { return prompt - cached - cache_write; }
};

// What every chunk of one completion shares.
struct completion_meta {
  std::string id;  // chatcmpl-…
  std::int64_t created = 0;
  std::string model;  // echoed as the client sent it
};

completion_meta new_completion_meta(std::string_view model);
std::string new_tool_call_id();  // call_…

inline constexpr std::string_view k_system_fingerprint = "fp_mock0001";

// {"prompt_tokens":…,"completion_tokens":…,"total_tokens":…,"prompt_tokens_details":{…},"completion_tokens_details":{…}}
void append_usage(std::string& out, usage_counts u);

struct tool_call {
  std::string id;
  std::string name;
  std::string arguments;  // a JSON text, as OpenAI sends it (a string inside the JSON)
};

// A whole non-streamed chat.completion with one assistant message.
void append_chat_completion(std::string& out, const completion_meta& m, std::string_view content,
                            std::string_view finish_reason, usage_counts u);
// The same with a tool_calls message (content null, finish_reason "tool_calls").
void append_tool_call_completion(std::string& out, const completion_meta& m, const tool_call& call, usage_counts u);

// One SSE event per call ("data: {…}\n\n"), each a chat.completion.chunk.
// With include_usage every chunk carries "usage":null and usage() sends the
// extra last chunk with "choices":[]; without it there is no usage key.
class chunk_builder {
 public:
  chunk_builder(const completion_meta& m, bool include_usage);

  // First chunk: delta {"role":"assistant","content":"","refusal":null}.
  void role(std::string& out) const;
  void content(std::string& out, std::string_view text) const;
  // Last choice chunk: empty delta and the finish reason.
  void finish(std::string& out, std::string_view reason) const;
  void usage(std::string& out, usage_counts u) const;
  // First chunk of a tool call: role, id, type and name, empty arguments.
  void tool_call_start(std::string& out, const tool_call& call) const;
  void tool_call_arguments(std::string& out, std::string_view fragment) const;
  static void done(std::string& out);  // data: [DONE]

 private:
  void open(std::string& out) const;
  void close(std::string& out) const;
  std::string prefix_;  // `data: {"id":…,"choices":[`
  bool include_usage_;
};

// Where the streamed argument fragment starting at `pos` ends: a few bytes
// each, never inside a UTF-8 sequence.
std::size_t next_argument_fragment_end(std::string_view arguments, std::size_t pos);

// ---------------------------------------------------------------- models

struct model_entry {
  std::string_view id;
  std::int64_t created;
  std::string_view owned_by;
};
std::span<const model_entry> known_models();

void append_model(std::string& out, std::string_view id, std::int64_t created, std::string_view owned_by);
// {"object":"list","data":[…known_models()…]}
void append_models_list(std::string& out);

// ---------------------------------------------------------------- errors

struct mock_error {
  mock_error() = default;
  mock_error(int status_code, std::string error_body) : status(status_code), body(std::move(error_body)) {}

  int status = 500;
  std::string body;           // {"error":{…}}
  bool rate_limited = false;  // send retry-after and x-ratelimit-* headers (OpenAI's set)
  // Other vendors' own headers (retry-after, x-amzn-errortype, …), sent as they are.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
};

// {"error":{"message":…,"type":…,"param":…|null,"code":…|null}}; empty param/code → null.
std::string render_error(std::string_view message, std::string_view type, std::string_view param,
                         std::string_view code);

// The body OpenAI sends for `status` (400, 401, 403, 404, 429, 500, 502,
// 503; anything else gets a plausible body of the right type).
mock_error scripted_error(int status, std::string_view model);

mock_error missing_key_error();
mock_error incorrect_key_error(std::string_view key);  // the key is masked, never echoed
mock_error invalid_json_error();
mock_error invalid_url_error(std::string_view method, std::string_view path);
mock_error model_not_found_error(std::string_view model);
mock_error missing_parameter_error(std::string_view param);
mock_error missing_model_error();
mock_error invalid_type_error(std::string_view param, std::string_view expected);

// The error a careless vendor sends (mock_script::leak): `credential`
// appended to every string of the body and put in every null, and sent as
// retry-after and x-mock-leaked headers. Works on any dialect's JSON body.
mock_error with_leaked_credential(mock_error e, std::string_view credential);

// "sk-a***…***wxyz": enough to recognise a key, never the whole of it.
std::string mask_key(std::string_view key);

}  // namespace llmgw::mock
