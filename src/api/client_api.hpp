#pragma once
// The API a client speaks, told by the path it called, and the one renderer
// that writes every error in that API's shape: the gateway's own, a vendor's
// (once mapped) and the HTTP server's protocol errors alike.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/gateway_error.hpp"

namespace llmgw::api {

enum class client_api : std::uint8_t { openai, anthropic };

// Anthropic for /v1/messages and /v1/messages/count_tokens (with or without
// /v1); OpenAI for everything else, unknown paths included.
client_api client_api_for_path(std::string_view path);

// Writes `e` into `body` in `api`'s shape and returns the HTTP status to
// answer with.
int render_error(client_api api, const gateway_error& e, std::string& body);

}  // namespace llmgw::api
