#pragma once
// Deterministic embedding vectors: the same input always yields the same
// unit-length vector (seeded by a hash of the input's bytes), so tests can
// compare results across calls without a model.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mock/request_reader.hpp"

namespace llmgw::mock {

// 3072 for text-embedding-3-large, 1536 for everything else (OpenAI's defaults).
std::size_t default_dimensions(std::string_view model);

// Fills `out` (size = dimensions) with the vector for `input`.
void embedding_vector(std::string_view input, float* out, std::size_t dimensions);

// Appends the JSON value of one embedding: [floats…] or "base64 of little-endian float32".
void append_embedding(std::string& out, std::string_view input, std::size_t dimensions, bool base64);

// The whole {"object":"list","data":[…],"model":…,"usage":{…}} response.
void append_embeddings_response(std::string& out, const embeddings_request_info& request);

}  // namespace llmgw::mock
