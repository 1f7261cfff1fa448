#pragma once
// The mock vendor speaking Google's Generative Language API (v1beta):
// gemini_dialect() (declared in mock/dialect.hpp) for generateContent and
// streamGenerateContent?alt=sse, and the batchEmbedContents answer below.
#include <optional>
#include <string>
#include <string_view>

#include "mock/dialect.hpp"

namespace llmgw::mock {

// Renders the batchEmbedContents response for `body` into `out`:
// {"embeddings":[{"values":[…]},…]}, one deterministic vector per request
// (768 dimensions, 3072 for gemini-embedding-* models, or
// outputDimensionality). Returns Google's 400 when the body is not a
// readable batch request.
std::optional<mock_error> gemini_batch_embed(std::string_view body, std::string_view path_model, std::string& out);

}  // namespace llmgw::mock
