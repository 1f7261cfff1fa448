#pragma once
// What the real Gemini API (v1beta generateContent) refuses in a request
// that is well-formed JSON: the mock refuses it too, so that a translation
// bug in the gateway fails a test instead of getting a normal reply. Pure:
// bytes in, the vendor's error out.
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::mock {

// Google's 400 INVALID_ARGUMENT, as its parts.
struct gemini_violation {
  std::string message;
  // The inside of the error's "details" array, already rendered (a
  // google.rpc.BadRequest with one field violation per unknown name), or
  // empty when Google sends none.
  std::string details;
};

// The error for `body`, or nullopt when it breaks no rule. A body that is
// not a JSON object passes: the dialect's reader reports it in its own
// words.
std::optional<gemini_violation> gemini_rule_violation(std::string_view body);

}  // namespace llmgw::mock
