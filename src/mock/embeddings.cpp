#include "mock/embeddings.hpp"
#include "core/base64.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::mock {

namespace {

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::size_t default_dimensions(std::string_view model) {
  return model.find("3-large") != std::string_view::npos ? 3072 : 1536;
}

void embedding_vector(std::string_view input, float* out, std::size_t dimensions) {
  std::uint64_t state = fnv1a(input);
  double norm = 0;
  for (std::size_t i = 0; i < dimensions; ++i) {
    // 24 random bits → [-1, 1)
    const auto bits = static_cast<std::uint32_t>(splitmix(state) >> 40);
    const float x = static_cast<float>(bits) / static_cast<float>(1u << 23) - 1.0f;
    out[i] = x;
    norm += static_cast<double>(x) * x;
  }
  const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
  for (std::size_t i = 0; i < dimensions; ++i) out[i] *= scale;
}

void append_embedding(std::string& out, std::string_view input, std::size_t dimensions, bool base64) {
  thread_local std::vector<float> values;
  values.resize(dimensions);
  embedding_vector(input, values.data(), dimensions);
  if (base64) {
    // Little-endian float32, whatever this machine's byte order.
    thread_local std::vector<unsigned char> bytes;
    bytes.resize(dimensions * 4);
    for (std::size_t i = 0; i < dimensions; ++i) {
      auto bits = std::bit_cast<std::uint32_t>(values[i]);
      for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
    out.push_back('"');
    append_base64(out, bytes.data(), bytes.size());
    out.push_back('"');
    return;
  }
  out.push_back('[');
  char buf[32];
  for (std::size_t i = 0; i < dimensions; ++i) {
    if (i) out.push_back(',');
    auto r = std::to_chars(buf, buf + sizeof buf, values[i]);
    out.append(buf, r.ptr);
  }
  out.push_back(']');
}

void append_embeddings_response(std::string& out, const embeddings_request_info& request) {
  const std::size_t dimensions = request.dimensions.value_or(default_dimensions(request.model));
  out.reserve(out.size() + request.inputs.size() * (request.base64 ? dimensions * 6 / 4 + 64 : dimensions * 12 + 64));
  out.append("{\"object\":\"list\",\"data\":[");
  std::uint64_t tokens = 0;
  for (std::size_t i = 0; i < request.inputs.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"object\":\"embedding\",\"index\":");
    append_number(out, i);
    out.append(",\"embedding\":");
    append_embedding(out, request.inputs[i], dimensions, request.base64);
    out.push_back('}');
    tokens += request.input_tokens[i];
  }
  out.append("],\"model\":");
  append_json_string(out, request.model);
  out.append(",\"usage\":{\"prompt_tokens\":");
  append_number(out, tokens);
  out.append(",\"total_tokens\":");
  append_number(out, tokens);
  out.append("}}");
}

}  // namespace llmgw::mock
