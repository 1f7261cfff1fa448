#pragma once
// The cache key's canonical form of a chat request: everything that changes
// the answer, written in one fixed order from the canonical (OpenAI) chat
// request that both client APIs are decoded to, so an OpenAI client and an
// Anthropic client asking the same question of the same model get the same
// key. Left out on purpose: stream and stream_options (a stream and a JSON
// answer are the same answer), user and metadata (who asks, not what).
// Object keys are written sorted, so the client's key order does not matter.
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/gateway_error.hpp"
#include "providers/anthropic_inbound.hpp"

namespace llmgw::cache {

// The canonical text of an OpenAI chat body (already validated by the
// decode stage). Fields the form does not model (logprobs, logit_bias,
// reasoning_effort…) are kept, sorted, under "openai_extra". A request with
// a part the form cannot hold (an audio part, n > 1) has none: it is
// answered uncached rather than cached under a key that leaves it out.
boost::system::result<std::string, gateway_error> canonical_openai_chat(std::string_view body);

// The same for an Anthropic Messages request: its OpenAI translation's
// canonical text, plus the Anthropic fields the translation drops (top_k,
// thinking…) under "anthropic_extra", so they still change the key.
boost::system::result<std::string, gateway_error> canonical_anthropic_messages(const providers::messages_request& r);

// The same two, appended to `out`, so the text can be written straight into
// the bytes a key hashes (cache/cache_key.hpp, make_key_of) instead of into
// a string of its own a request.
std::optional<gateway_error> canonical_openai_chat(std::string_view body, std::string& out);
std::optional<gateway_error> canonical_anthropic_messages(const providers::messages_request& r, std::string& out);

}  // namespace llmgw::cache
