#pragma once
// What the real Chat Completions API refuses in a request that is
// well-formed JSON of the right shape: the mock refuses it too, so that a
// translation bug fails a test instead of getting a normal reply. Read with
// simdjson On-Demand, as the rest of the OpenAI dialect: the benchmarks run
// through it.
#include <optional>
#include <string>

#include "mock/openai_responses.hpp"

namespace llmgw::mock {

// OpenAI's 400 for the first rule `body` breaks, or nullopt. A body that is
// not a JSON object with a messages array passes: read_chat_request()
// reports it in its own words. May grow the body's capacity (never its
// content) for simdjson's padding.
std::optional<mock_error> openai_rule_violation(std::string& body);

}  // namespace llmgw::mock
