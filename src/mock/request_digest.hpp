#pragma once
// What a vendor received, in one shape whatever its wire format: the mock
// answers `[mock:digest]` with this JSON as its reply text, so a test that
// drives an SDK through the gateway can compare what it sent with what the
// vendor got — a dropped tool result, a mangled id, a lost system prompt or
// image shows up as a difference, not as "a reply came back".
//
// Each dialect's request is read as that vendor reads it (OpenAI messages;
// Anthropic system, messages and tool_use/tool_result blocks; Gemini
// systemInstruction, contents, functionCall/functionResponse and
// inlineData/fileData parts, in either JSON spelling; Bedrock Converse
// system, messages, toolUse/toolResult and image blocks) and normalised:
//
//   {"system":[text…],
//    "messages":[{"role":"user"|"assistant",
//                 "text":[text…],                 // text parts in order, empty ones left out
//                 "images":[media type…],          // "image/png"…; "url" for an OpenAI/Anthropic URL image
//                 "tool_calls":[{"id","name","arguments"}],
//                 "tool_results":[{"id","name","content"}]}…],
//    "stop":[sequence…],
//    "max_tokens":N|null}
//
// - Turns of the same role in a row are one turn (Anthropic and Gemini ask
//   for alternation, so adapters merge them); an OpenAI "tool" message and a
//   Gemini functionResponse belong to a user turn; Gemini's "model" is
//   "assistant"; OpenAI system and developer messages are the system text.
// - A tool call's arguments and a tool result's content are JSON values:
//   text that parses as JSON is the parsed value, other text stays a string
//   (OpenAI carries both as strings, Bedrock and Gemini as objects).
// - A tool result's "name" is the name of the earlier tool call with its id
//   (Gemini states it instead of an id); null when no earlier call has that
//   id — a mangled id shows there too. Ids Gemini does not send are null.
#include <string>
#include <string_view>

namespace llmgw::mock {

// `dialect` is a dialect's name(): "openai", "anthropic", "gemini",
// "bedrock". A body that is not a JSON object gives {"error":…}.
std::string request_digest(std::string_view dialect, std::string_view body);

}  // namespace llmgw::mock
