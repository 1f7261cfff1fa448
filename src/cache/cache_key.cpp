#include "cache/cache_key.hpp"

#include <xxhash.h>

#include <cstdint>

namespace llmgw::cache {

std::string cache_key::hex() const {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = k_digits[(high >> (4 * i)) & 0xf];
    out[31 - i] = k_digits[(low >> (4 * i)) & 0xf];
  }
  return out;
}

cache_key make_key(key_space space, std::string_view model, std::string_view canonical) {
  // Lengths first: ("ab","c") and ("a","bc") must not hash alike. The
  // space's two parts hash as the one string they spell. The parts are
  // joined into one buffer the thread keeps and hashed in one call: XXH3's
  // streaming state cost about 1.3k instructions for seven updates (a 1 KB
  // question), the copy and one-shot hash a fraction of that. The bytes
  // hashed are the same, so are the keys (entries stored in Redis by an
  // earlier version are still found).
  thread_local std::string material;
  constexpr std::size_t k_keep = 1 << 20;  // a huge question's copy is not kept
  if (material.capacity() > k_keep) std::string().swap(material);
  const auto append_size = [](std::string& out, std::uint64_t n) {
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
  };
  material.clear();
  append_size(material, space.prefix.size() + space.name.size());
  material.append(space.prefix).append(space.name);
  append_size(material, model.size());
  material.append(model);
  append_size(material, canonical.size());
  material.append(canonical);
  const XXH128_hash_t h = XXH3_128bits(material.data(), material.size());
  return {h.high64, h.low64};
}

cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical) {
  return make_key(key_space{space, {}}, model, canonical);
}

}  // namespace llmgw::cache
