#pragma once
// Model and deployment names that become part of a vendor's URL path
// (Azure's /openai/deployments/{name}, Gemini's /models/{name}, Bedrock's
// /model/{id}). Each adapter percent-encodes the name into one segment, but
// "." and ".." are unreserved characters that encoding keeps, and a path
// normalizer (ours, a proxy's, the vendor's) would then move the request to
// another endpoint: "azure/.." must never reach /openai/deployments/../chat.
#include <string_view>

namespace llmgw {

// False when `name` is empty, or when some piece of it between '/' or '\'
// is "." or ".." as written or after any number of percent-decodings
// ("%2e%2E", "%252e%252e", "a/../b"). Such names are refused, not encoded:
// no real model id looks like that.
bool usable_in_path(std::string_view name);

}  // namespace llmgw
