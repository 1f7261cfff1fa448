// The Anthropic adapter: the provider interface over the encode, decode and
// stream parts (anthropic_*.cpp).
#include "providers/anthropic.hpp"

namespace llmgw::providers {

namespace {

class anthropic final : public provider {
 public:
  std::string_view name() const override { return "anthropic"; }

  boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                     const vendor_endpoint& ep,
                                                                     const chat_encode_options& o) const override {
    auto request = parse_chat_request(openai_body);
    if (!request) return request.error();
    return encode_anthropic_messages(*request, ep, o);
  }

  boost::system::result<std::string, gateway_error> decode_chat(std::string_view body, std::string_view requested_model,
                                                                token_usage* usage) const override {
    auto c = decode_anthropic_message(body);
    if (!c) return c.error();
    if (usage) *usage = c->usage;
    return render_chat_completion(*c, requested_model);
  }

  std::unique_ptr<stream_translator> translate_stream(const stream_options& o) const override {
    return make_anthropic_stream_translator(o);
  }

  gateway_error decode_error(int status, std::string_view body) const override {
    return decode_anthropic_error(status, body);
  }
};

}  // namespace

const provider& anthropic_provider() {
  static const anthropic instance;
  return instance;
}

}  // namespace llmgw::providers
