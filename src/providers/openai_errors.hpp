#pragma once
// Upstream errors of OpenAI-compatible vendors, mapped to the gateway's
// error: the vendor's status is kept (429 with its retry-after), the body is
// rebuilt in OpenAI's shape from the vendor's fields, and any trace of the
// vendor credential is removed from the message.
#include <string_view>

#include "core/gateway_error.hpp"

namespace llmgw::providers {

gateway_error decode_openai_error(int status, std::string_view body, std::string_view provider,
                                  std::string_view vendor_key);

// The OpenAI "type" that belongs to a status when the vendor gave none.
std::string_view openai_error_type_for(int status);

}  // namespace llmgw::providers
