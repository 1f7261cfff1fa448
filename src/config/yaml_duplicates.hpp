#pragma once
// yaml-cpp keeps the first of two equal keys in a mapping and drops the other
// without a word, so `port:` written twice silently loses one value. This
// scans the parser's events (aliases are not expanded, so the scan is linear
// in the text) and reports the first key written twice in one mapping.
#include <optional>
#include <string>
#include <string_view>

namespace llmgw {

struct duplicate_key {
  std::string path;    // YAML path of the repeated field, e.g. "server.port"
  int line = 0;        // 1-based line of the second occurrence
  int first_line = 0;  // and of the first
};

// nullopt when no mapping repeats a key. Throws YAML::ParserException on
// malformed YAML, like YAML::Load. Only the first document is read.
std::optional<duplicate_key> find_duplicate_key(std::string_view yaml_text);

}  // namespace llmgw
