#include "providers/openai_embeddings.hpp"

#include <boost/json.hpp>

#include <array>
#include <bit>
#include <cstring>

namespace llmgw::providers {

namespace json = boost::json;

namespace {

constexpr std::array<char, 64> k_alphabet = {
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V',
    'W', 'X', 'Y', 'Z', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
    's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '/'};

std::string base64(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    out.push_back(k_alphabet[(v >> 6) & 63]);
    out.push_back(k_alphabet[v & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? k_alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

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
    *emb = base64(bytes);
  }
  return json::serialize(doc);
}

}  // namespace llmgw::providers
