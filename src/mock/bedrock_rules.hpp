#pragma once
// What the real Converse API refuses in a request that is well-formed JSON
// of the right shape: the mock refuses it too, so that a translation bug in
// the gateway fails a test instead of getting a normal reply. Pure: bytes in,
// the vendor's error message out. (Credentials and signatures are checked
// by the dialect's check_auth, not here.)
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::mock {

// The message of Bedrock's 400 ValidationException for the first rule
// `body` breaks, or nullopt; `model` is the model id of the path, decoded. A
// body that is not a JSON object passes: the dialect's reader reports it in
// its own words.
std::optional<std::string> bedrock_rule_violation(std::string_view body, std::string_view model);

}  // namespace llmgw::mock
