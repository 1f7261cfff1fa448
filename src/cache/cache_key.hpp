#pragma once
// The response cache's key: a 128-bit XXH3 hash of a canonical form of
// everything that changes a chat answer. The form is built from the
// canonical (OpenAI) chat request that both client APIs are decoded to, so
// an OpenAI client and an Anthropic client asking the same question of the
// same model get the same key. Left out on purpose: stream and
// stream_options (a stream and a JSON answer are the same answer), user and
// metadata (who asks, not what). Object keys are written sorted, so the
// client's key order does not matter.
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/gateway_error.hpp"
#include "providers/anthropic_inbound.hpp"

namespace llmgw::cache {

struct cache_key {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const cache_key&) const = default;
  std::string hex() const;  // 32 hex digits (logs, a network backend's key name)
};

// The canonical text of an OpenAI chat body (already validated by the
// decode stage). Fields the canonical request does not model (n, logprobs,
// logit_bias, reasoning_effort…) are kept, sorted, under "openai_extra".
boost::system::result<std::string, gateway_error> canonical_openai_chat(std::string_view body);

// The same for an Anthropic Messages request: its OpenAI translation's
// canonical text, plus the Anthropic fields the translation drops (top_k,
// thinking…) under "anthropic_extra", so they still change the key.
boost::system::result<std::string, gateway_error> canonical_anthropic_messages(const providers::messages_request& r);

// `space` separates callers (a gateway key id, or a namespace shared by
// several keys); `model` is the resolved model or group (the deployments the
// request may reach, in a stable order), never the weighted pick.
cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical);

// The same key for the space `prefix` + `name` ("key:" and a key id), hashed
// as the two parts without joining them into a string first.
struct key_space {
  std::string_view prefix;
  std::string_view name;
};
cache_key make_key(key_space space, std::string_view model, std::string_view canonical);

}  // namespace llmgw::cache
