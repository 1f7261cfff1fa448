#pragma once
// What the decode stage learned from a request body, for the stages after
// it: which vendor endpoint it needs, whether it streams, and the validated
// request in the client's API. The client's bytes stay in the server's
// request (they live as long as the handler), so a deployment that speaks
// the client's API gets them unchanged.
#include <optional>
#include <string_view>

#include "api/chat_request.hpp"
#include "api/embeddings_request.hpp"
#include "providers/anthropic_inbound.hpp"
#include "routing/vendors.hpp"

namespace llmgw::api {

struct decoded_request {
  endpoint ep = endpoint::chat_completions;  // the vendor endpoint it maps to
  bool stream = false;
  bool client_wants_usage = false;  // a usage chunk at the end of the stream
  std::string_view client_body;     // the client's bytes, validated
  // Exactly one of these, by the endpoint the client called.
  std::optional<chat_request_info> chat;
  std::optional<embeddings_request_info> embeddings;
  std::optional<providers::messages_request> messages;  // /v1/messages and count_tokens
};

}  // namespace llmgw::api
