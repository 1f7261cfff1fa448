// POST /v1/messages (and /v1/messages/count_tokens): the Anthropic Messages
// API inbound. Validated, routed by model like any request; proxy() then
// passes the client's own body to Anthropic, or sends the OpenAI
// translation to any other vendor and translates the answer back.
#include <boost/json.hpp>

#include "api/body_model.hpp"
#include "api/gateway.hpp"
#include "api/request_scope.hpp"
#include "core/header_value.hpp"
#include "providers/anthropic_inbound.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

// count_tokens takes a Messages body without max_tokens, and is only ever
// passed through to Anthropic, which checks the rest.
boost::system::result<providers::messages_request_info, gateway_error> parse_count_tokens_request(
    std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return invalid_request("The request body is not a JSON object.");
  const auto* model = doc.get_object().if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty())
    return invalid_request("model: Field required", "model");
  if (has_control_char(model->get_string()))
    return invalid_request("model: Control characters are not allowed in a model name", "model");
  const auto* messages = doc.get_object().if_contains("messages");
  if (!messages || !messages->is_array()) return invalid_request("messages: Field required", "messages");
  providers::messages_request_info info;
  info.model = std::string(model->get_string());
  return info;
}

}  // namespace

asio::awaitable<void> gateway::handle_messages(request_scope& rs) {
  auto& body = rs.req.body();
  // anthropic-version / anthropic-beta are relayed to Anthropic as they
  // came: the request parser already refused any control character in them.
  // count_tokens bodies have no max_tokens (and are only passed through).
  // A messages body is read once: the translation, if the route needs one,
  // reuses the validated document.
  providers::messages_request request;
  if (rs.count_tokens) {
    auto parsed = parse_count_tokens_request(body);
    if (!parsed) {
      co_await send_error(rs, parsed.error());
      co_return;
    }
    request.info = std::move(*parsed);
  } else {
    auto parsed = providers::read_messages_request(body);
    if (!parsed) {
      co_await send_error(rs, parsed.error());
      co_return;
    }
    request = std::move(*parsed);
  }
  rs.model = request.info.model;
  rs.record.model = rs.model;
  rs.record.stream = request.info.stream;

  auto routed = state_->routes.resolve(rs.model, rng_());
  if (!routed) {
    co_await send_error(rs, routed.error());
    co_return;
  }
  const route& r = *routed;

  // Anthropic deployments get the client's bytes (renamed when the route
  // names another model); the others the OpenAI translation, naming the
  // vendor's own model id (aliases, groups, vendor/model routes).
  bool needs_translation = false;
  for (const auto& a : r.attempts)
    needs_translation = needs_translation || a.provider->kind != provider_kind::anthropic;
  const auto& first = r.attempts.front();
  auto renamed = buffers_.take();
  rs.anthropic_body = body;
  if (first.model_rewritten && first.provider->kind == provider_kind::anthropic) {
    *renamed = with_model(body, first.model);
    rs.anthropic_body = *renamed;
  }
  auto translated = buffers_.take();
  if (needs_translation && !rs.count_tokens) {
    auto t = providers::messages_to_openai(request, first.model);
    if (!t) {
      co_await send_error(rs, t.error());
      co_return;
    }
    *translated = std::move(*t);
  }
  // A streamed Anthropic answer needs the usage chunk for its message_delta.
  co_await proxy(rs, r, endpoint::chat_completions, *translated, request.info.stream, true);
}

}  // namespace llmgw::api
