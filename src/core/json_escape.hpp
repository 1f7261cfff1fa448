#pragma once
// Writing JSON strings by hand: error bodies and spliced request bodies are
// small, so appending escaped text beats building a DOM.
#include <string>
#include <string_view>

namespace llmgw {

// Appends `text` escaped for use inside a JSON string (no quotes added).
// Bytes that are not valid UTF-8 become U+FFFD, so the output is always
// valid JSON even when `text` came from a raw URL or header.
void append_json_escaped(std::string& out, std::string_view text);

// Appends `text` as a complete JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// True when `text` goes into a JSON string as it is: printable ASCII with no
// quote or backslash (what append_json_escaped copies unchanged).
bool is_plain_json_text(std::string_view text);

}  // namespace llmgw
