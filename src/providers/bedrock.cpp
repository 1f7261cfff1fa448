// The Bedrock adapter: the provider interface over the encode, decode and
// stream parts (bedrock_*.cpp).
#include "providers/bedrock.hpp"

namespace llmgw::providers {

namespace {

class bedrock final : public provider {
 public:
  std::string_view name() const override { return "bedrock"; }

  boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                     const vendor_endpoint& ep,
                                                                     const chat_encode_options& o) const override {
    auto request = parse_chat_request(openai_body);
    if (!request) return request.error();
    return encode_bedrock_converse(*request, ep, o);
  }

  boost::system::result<std::string, gateway_error> decode_chat(std::string_view body, std::string_view requested_model,
                                                                token_usage* usage) const override {
    auto c = decode_bedrock_converse(body);
    if (!c) return c.error();
    if (usage) *usage = c->usage;
    return render_chat_completion(*c, requested_model);
  }

  std::unique_ptr<stream_translator> translate_stream(const stream_options& o) const override {
    return make_bedrock_stream_translator(o);
  }

  gateway_error decode_error(int status, std::string_view body) const override {
    return decode_bedrock_error(status, body);
  }
};

}  // namespace

const provider& bedrock_provider() {
  static const bedrock instance;
  return instance;
}

}  // namespace llmgw::providers
