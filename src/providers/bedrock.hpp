#pragma once
// The AWS Bedrock Converse adapter: OpenAI chat requests out to
// POST {base}/model/{modelId}/converse (or /converse-stream), signed with
// SigV4; Converse responses, ConverseStream eventstream messages and
// Bedrock errors back in OpenAI's format. Pure, like every adapter:
//   request, signature → bedrock_encode.cpp (aws_sigv4.cpp)
//   response and errors → bedrock_decode.cpp
//   stream              → bedrock_stream.cpp (framing: core/eventstream.cpp)
//
// Choices a reader should know about:
// - Images must be base64 data URLs: Converse takes image bytes, not URLs,
//   so an https image is a 400 rather than a fetch by the gateway.
// - tool_choice "none" has no Converse counterpart: tools are left out,
//   unless the history holds tool calls or results, which Converse accepts
//   only with a toolConfig; then the tools are sent with no toolChoice. A
//   history with tool blocks but no tools gets placeholder tool specs for
//   the names it uses.
// - response_format, seed, presence/frequency penalties and user have no
//   Converse field and are dropped.
// - Usage: Converse counts cache reads and writes apart from inputTokens;
//   prompt_tokens includes them, as OpenAI counts it.
// - Errors: decode_error sees only status and body ({"message":…}; the
//   Bedrock type travels in the x-amzn-errortype header), so it maps by
//   status: 400 ValidationException → 400, 403 AccessDenied or
//   UnrecognizedClient → 403 (the gateway's AWS credentials, said so in the
//   message), 404 ResourceNotFound → 404 model_not_found, 408 ModelTimeout →
//   504, 424 ModelError → 502, 429 Throttling → 429, 5xx kept.
#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "core/gateway_error.hpp"
#include "core/token_usage.hpp"
#include "providers/openai_chat.hpp"
#include "providers/provider.hpp"

namespace llmgw::providers {

const provider& bedrock_provider();

// The SigV4 service name of bedrock-runtime.
inline constexpr std::string_view k_bedrock_signing_service = "bedrock";

// The parsed OpenAI request → the signed Converse request (target, x-amz-date,
// authorization, x-amz-security-token when the credentials have one, body).
boost::system::result<upstream_request, gateway_error> encode_bedrock_converse(const chat_request& r,
                                                                               const vendor_endpoint& ep,
                                                                               const chat_encode_options& o);

// A Converse response (2xx body) → the OpenAI choice, usage included.
boost::system::result<chat_completion, gateway_error> decode_bedrock_converse(std::string_view body);

// Converse stopReason → OpenAI finish_reason.
std::string_view bedrock_finish_reason(std::string_view stop_reason);

// A Converse "usage" object (response or stream metadata) in the gateway's terms.
token_usage bedrock_usage(const boost::json::object& usage);

gateway_error decode_bedrock_error(int status, std::string_view body);

// An exception message inside a ConverseStream (:exception-type, payload
// {"message":…}) → the gateway error, with the status Bedrock gives it.
gateway_error bedrock_stream_exception(std::string_view exception_type, std::string_view payload);

std::unique_ptr<stream_translator> make_bedrock_stream_translator(const stream_options& o);

}  // namespace llmgw::providers
