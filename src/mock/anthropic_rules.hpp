#pragma once
// What the real Messages API refuses in a request that is well-formed JSON
// of the right shape: the mock refuses it too, so that a translation bug in
// the gateway fails a test instead of getting a normal reply. Pure: bytes in,
// the vendor's error message out.
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::mock {

// The message of Anthropic's 400 invalid_request_error for the first rule
// `body` breaks, or nullopt. A body that is not a JSON object passes: the
// dialect's reader reports it in its own words.
std::optional<std::string> anthropic_rule_violation(std::string_view body);

}  // namespace llmgw::mock
