#pragma once
// A cached answer as bytes, for a network backend: a version line, the time
// it was stored, and the answer as a chat.completion body (an OpenAI JSON
// answer as it was sent, so a hit still replays its very bytes) or the
// Anthropic message an Anthropic client was sent.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cached_answer.hpp"

namespace llmgw::cache {

std::string encode_answer(const cached_answer& a, std::chrono::system_clock::time_point stored_at);

struct decoded_answer {
  cached_answer answer;
  std::chrono::system_clock::time_point stored_at;
};
// nullopt for bytes this version did not write (another version's entry).
// When the answer is to be rendered `as` the JSON body it holds (a
// non-streamed hit in the API the answer was sent in), that body is all
// that is read: the replay needs nothing else, and parsing a whole answer
// was most of a hit's CPU. Otherwise the answer is rebuilt from the body.
std::optional<decoded_answer> decode_answer(std::string_view bytes, std::optional<rendering> as = std::nullopt);

}  // namespace llmgw::cache
