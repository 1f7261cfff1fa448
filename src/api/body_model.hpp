#pragma once
// A JSON request body with its "model" replaced, for the routes that cannot
// splice (translated bodies, Anthropic pass-through under an alias). A DOM
// round trip: only on the paths that already pay for one.
#include <string>
#include <string_view>

namespace llmgw::api {

std::string with_model(std::string_view json_body, std::string_view model);

}  // namespace llmgw::api
