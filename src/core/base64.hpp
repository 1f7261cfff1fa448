#pragma once
// Standard base64 (RFC 4648, with padding), for embeddings in OpenAI's
// base64 form.
#include <cstddef>
#include <string>

namespace llmgw {

void append_base64(std::string& out, const unsigned char* data, std::size_t size);

}  // namespace llmgw
