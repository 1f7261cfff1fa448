#include "providers/provider.hpp"

namespace llmgw::providers {

boost::system::result<upstream_request, gateway_error> provider::encode_embeddings(std::string_view,
                                                                                   const vendor_endpoint&,
                                                                                   std::string_view) const {
  return not_implemented("Provider " + std::string(name()) + " does not offer embeddings.");
}

boost::system::result<std::string, gateway_error> provider::decode_embeddings(std::string_view, std::string_view,
                                                                              token_usage*) const {
  return not_implemented("Provider " + std::string(name()) + " does not offer embeddings.");
}

}  // namespace llmgw::providers
