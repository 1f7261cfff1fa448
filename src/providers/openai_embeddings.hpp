#pragma once
// OpenAI's embeddings response in its base64 form: the official SDKs ask for
// encoding_format "base64" by default, and vendors reached through an
// adapter answer with float arrays, so the gateway encodes them the way
// OpenAI does (little-endian float32, standard base64).
#include <string>
#include <string_view>

namespace llmgw::providers {

// Every data[i].embedding array of an OpenAI embeddings body as a base64
// string; anything that is not such a body is returned unchanged.
std::string embeddings_as_base64(std::string_view openai_body);

}  // namespace llmgw::providers
