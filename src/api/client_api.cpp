#include "api/client_api.hpp"

#include "providers/anthropic_inbound.hpp"

namespace llmgw::api {

client_api client_api_for_path(std::string_view path) {
  if (path.starts_with("/v1/")) path.remove_prefix(3);
  return path == "/messages" || path == "/messages/count_tokens" ? client_api::anthropic : client_api::openai;
}

int render_error(client_api api, const gateway_error& e, std::string& body) {
  if (api == client_api::anthropic) {
    body = providers::render_anthropic_error(e);
    return providers::anthropic_status_for(e);
  }
  body = render_openai_error(e);
  return e.status;
}

}  // namespace llmgw::api
