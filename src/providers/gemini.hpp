#pragma once
// Google Gemini (Generative Language API v1beta) ↔ OpenAI Chat Completions.
// The adapter is split by direction: gemini_encode.cpp (OpenAI request →
// generateContent / batchEmbedContents), gemini_decode.cpp (responses,
// embeddings and errors → OpenAI), gemini_stream.cpp (the alt=sse stream →
// chat.completion.chunk events). The pieces they share are declared below.
//
// Choices a reader should know about:
// - Image URLs that are not data URLs go as fileData with a MIME type
//   guessed from the extension (image/jpeg when unknown). The gateway does
//   not download anything: Gemini fetches what it accepts (Files API and
//   gs:// URIs, some public URLs) and answers 400 for the rest.
// - A tool result becomes functionResponse.response: the result itself when
//   it is a JSON object, else {"content": <the text>}. Its function name is
//   looked up from the assistant tool call with the same id.
// - Gemini gives function calls no ids; OpenAI ids are derived from the
//   responseId (or the stream's chunk id) and the call's position, so a
//   reply decodes the same way every time.
// - Gemini 3 thought signatures cannot travel through OpenAI's format;
//   replayed calls to gemini-3 models carry Google's documented
//   skip_thought_signature_validator sentinel instead.
// - Thought parts are left out of the reply; thoughtsTokenCount counts as
//   completion tokens. user, parallel_tool_calls and logprobs options have
//   no Gemini counterpart and are dropped.
// - batchEmbedContents reports no token counts: embeddings usage is 0.
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway_error.hpp"
#include "core/token_usage.hpp"
#include "providers/openai_chat.hpp"
#include "providers/provider.hpp"

namespace llmgw::providers {

const provider& gemini_provider();

namespace gemini {

// A JSON schema reduced to the OpenAPI subset Gemini's Schema accepts:
// unknown keywords ($schema, additionalProperties, strict, $ref, …) dropped
// at every depth, type arrays turned into type + nullable, const into enum,
// formats Gemini refuses removed, type names upper-cased.
boost::json::value clean_schema(const boost::json::value& schema);

// What OpenAI needs from one GenerateContentResponse (a whole reply, or one
// event of a stream).
struct response_view {
  std::string text;              // text parts of candidates[0] joined; thought parts left out
  std::vector<tool_call> calls;  // functionCall parts; ids left empty for the caller
  std::string finish_reason;     // Gemini's, empty when absent
  std::string block_reason;      // promptFeedback.blockReason
  bool has_candidate = false;
  std::optional<token_usage> usage;  // usageMetadata
  std::string response_id;
};

// Reads one GenerateContentResponse. An {"error":…} object inside it (as a
// stream may send) comes back as the mapped gateway_error.
boost::system::result<response_view, gateway_error> read_response(std::string_view json);

// STOP → stop (tool_calls when the reply called functions), MAX_TOKENS →
// length, the safety family → content_filter, anything else → stop.
std::string_view openai_finish_reason(std::string_view gemini_reason, bool has_calls);

// An OpenAI tool call id for the n-th call of a reply, derived from `seed`
// (the responseId, or the stream's chunk id) so a reply decodes the same way
// every time; a random one when `seed` is empty.
std::string call_id(std::string_view seed, std::size_t n);

gateway_error decode_error(int status, std::string_view body);

boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                   const vendor_endpoint& ep,
                                                                   const chat_encode_options& o);
boost::system::result<std::string, gateway_error> decode_chat(std::string_view body, std::string_view requested_model,
                                                              token_usage* usage);
std::unique_ptr<stream_translator> make_stream_translator(const stream_options& o);
boost::system::result<upstream_request, gateway_error> encode_embeddings(std::string_view openai_body,
                                                                         const vendor_endpoint& ep,
                                                                         std::string_view vendor_model);
boost::system::result<std::string, gateway_error> decode_embeddings(std::string_view body,
                                                                    std::string_view requested_model,
                                                                    token_usage* usage);

}  // namespace gemini
}  // namespace llmgw::providers
