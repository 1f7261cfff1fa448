#pragma once
// What the response cache keeps for one question: the complete answer in a
// client-neutral form (the model that answered, text, tool calls, finish
// reason, usage), and the renderings a hit is answered with — OpenAI JSON,
// an OpenAI SSE stream, Anthropic JSON, Anthropic SSE events — made by the
// same encoders the translated answers use (providers/openai_chat,
// providers/anthropic_inbound). Pure: no I/O.
//
// Only complete, successful, single-choice answers are made into one: the
// builders below return nothing for an error, a stream that did not reach
// its end, more than one choice, or content the neutral form cannot hold
// (Anthropic thinking blocks, an OpenAI refusal).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sse_reader.hpp"
#include "providers/openai_chat.hpp"

namespace llmgw::cache {

enum class answer_api : std::uint8_t { openai, anthropic };

// How a hit is going to be answered. A backend that keeps an answer as
// bytes can then skip rebuilding it when the hit replays its stored body
// as it is (a JSON answer in the API it was sent in).
struct rendering {
  answer_api api = answer_api::openai;
  bool stream = false;
};

struct cached_answer {
  std::string model;                      // as the answer named it
  providers::chat_completion completion;  // content, tool calls, finish reason, usage
  // The JSON body a non-streamed answer was sent with, and its API: a later
  // JSON hit in that API gets these very bytes (byte-identical replays).
  std::string json_body;
  answer_api json_api = answer_api::openai;

  // What the entry costs a memory cache (its bound is in bytes).
  std::size_t bytes() const;
};

// ---------------------------------------------------------------- rendering

// chat.completion JSON (a stored OpenAI body as it was, else a fresh one).
std::string render_openai_json(const cached_answer& a);
// chat.completion.chunk events: role, content, tool calls, the finish chunk,
// the usage chunk when `include_usage`, then [DONE].
std::string render_openai_stream(const cached_answer& a, std::string_view id, std::int64_t created, bool include_usage);
// An Anthropic message (a stored Anthropic body as it was, else translated).
std::string render_anthropic_json(const cached_answer& a);
// message_start … message_stop, through the gateway's OpenAI→Anthropic stream writer.
std::string render_anthropic_stream(const cached_answer& a);

// ---------------------------------------------------------------- assembly

// From a whole OpenAI chat.completion body.
std::optional<cached_answer> answer_from_openai_json(std::string_view body);
// From a whole Anthropic message body (an Anthropic client served by Anthropic).
std::optional<cached_answer> answer_from_anthropic_json(std::string_view body);

// Builds an answer from a stream as it passes: OpenAI chat.completion.chunk
// events, or Anthropic's own events. Fed the bytes the gateway relays, split
// anywhere.
class stream_assembler {
 public:
  explicit stream_assembler(answer_api api) : api_(api) {}
  void feed(std::string_view bytes);
  // The answer, when the stream reached its end ([DONE] / message_stop)
  // without an error and with nothing the neutral form cannot hold.
  std::optional<cached_answer> take();

 private:
  void on_openai(std::string_view data);
  void on_anthropic(std::string_view data);

  answer_api api_;
  sse_reader reader_;
  cached_answer answer_;
  bool complete_ = false;
  bool unusable_ = false;
  bool saw_finish_ = false;
  bool block_is_tool_ = false;  // the open Anthropic content block is a tool_use
};

// Whether an answer may be stored: a `length` finish only when configured.
bool storable(const cached_answer& a, bool store_truncated);

}  // namespace llmgw::cache
