#pragma once
// GET /v1/models and GET /v1/models/{id}: the OpenAI model objects of what
// the router can serve. Pure functions, so they are tested without a socket.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "routing/router.hpp"

namespace llmgw::api {

// {"object":"list","data":[model, ...]}
void append_model_list(std::string& out, std::span<const model_info> models);

// The model id of GET /models/{id}: everything after "/models/", percent-
// decoded, since ids hold '/' and ':' ("groq/llama-3.1-8b-instant",
// "bedrock/anthropic.claude-3-haiku-20240307-v1:0") and SDKs send them
// encoded or not. nullopt for a malformed escape or an empty id.
std::optional<std::string> model_id_from_path(std::string_view rest);

// The listed model with this id, or nullptr.
const model_info* find_model(std::span<const model_info> models, std::string_view id);

// {"id":…,"object":"model","created":0,"owned_by":…}
void append_model(std::string& out, const model_info& m);

}  // namespace llmgw::api
