#pragma once
// One attempt at one deployment, as plan_attempt() decided it: how the
// vendor is spoken to, the request head and body to send, and how its
// answer must be read. The respond stage reads its answer from this alone.
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "core/string_pool.hpp"
#include "http/upstream.hpp"
#include "providers/provider.hpp"

namespace llmgw::api {

enum class wire : std::uint8_t {
  openai_compatible,      // the OpenAI API: the client's bytes, or a copy renamed / asking for usage
  adapter,                // a vendor with its own format: its adapter encodes the request and decodes the answer
  anthropic_passthrough,  // an Anthropic client to Anthropic: its own body and anthropic-* headers
};

struct attempt_plan {
  explicit attempt_plan(string_pool& pool) : head(pool.take()), scratch(pool.take()) {}

  wire kind = wire::openai_compatible;
  const provider_config* provider = nullptr;
  std::string_view vendor_model;
  const providers::provider* adapter = nullptr;  // set when kind == wire::adapter
  // The answer, which comes in the OpenAI API unless passed through, goes to
  // an Anthropic client: it is turned into Anthropic's.
  bool to_anthropic = false;
  string_pool::lease head;
  std::string_view body;
  string_pool::lease scratch;  // a body the client's bytes could not be used for
  std::optional<providers::upstream_request> encoded;

  // The request went out whole and its answer is being relayed: its head
  // and any body of its own (a renamed copy, an encoding) go back now
  // rather than when a stream ends, and nothing views the route any more.
  void release_request() {
    head.release();
    scratch.release();
    encoded.reset();
    body = {};
    vendor_model = {};
  }
};

class request_context;

// Records attempt `index`'s outcome in the context, with the call's timings.
void finish_attempt(request_context& ctx, std::size_t index, int status, std::string_view error,
                    const http::upstream_call& call);

}  // namespace llmgw::api
