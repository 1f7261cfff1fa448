#include "providers/openai_embeddings.hpp"

#include <boost/json.hpp>

#include <bit>
#include <cstring>

#include "core/base64.hpp"

namespace llmgw::providers {

namespace json = boost::json;

namespace {

// Little-endian float32, what OpenAI's base64 embeddings hold.
void append_float32(std::string& out, float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap32(bits);
  char b[4];
  std::memcpy(b, &bits, 4);
  out.append(b, 4);
}

}  // namespace

std::string embeddings_as_base64(std::string_view openai_body) {
  boost::system::error_code ec;
  json::value doc = json::parse(openai_body, ec);
  if (ec || !doc.is_object()) return std::string(openai_body);
  auto* data = doc.get_object().if_contains("data");
  if (!data || !data->is_array()) return std::string(openai_body);
  for (auto& item : data->get_array()) {
    if (!item.is_object()) continue;
    auto* emb = item.get_object().if_contains("embedding");
    if (!emb || !emb->is_array()) continue;
    std::string bytes;
    bytes.reserve(emb->get_array().size() * 4);
    for (const auto& v : emb->get_array()) {
      double d = 0;
      if (v.is_double()) d = v.get_double();
      if (v.is_int64()) d = static_cast<double>(v.get_int64());
      if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
      append_float32(bytes, static_cast<float>(d));
    }
    std::string encoded;
    append_base64(encoded, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    *emb = encoded;
  }
  return json::serialize(doc);
}

}  // namespace llmgw::providers
