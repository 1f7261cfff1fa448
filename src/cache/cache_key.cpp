#include "cache/cache_key.hpp"

// The state on the stack instead of XXH3_createState()'s heap.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

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
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  // Lengths first: ("ab","c") and ("a","bc") must not hash alike. The
  // space's two parts hash as the one string they spell.
  const std::uint64_t space_size = space.prefix.size() + space.name.size();
  XXH3_128bits_update(&state, &space_size, sizeof space_size);
  XXH3_128bits_update(&state, space.prefix.data(), space.prefix.size());
  XXH3_128bits_update(&state, space.name.data(), space.name.size());
  for (std::string_view part : {model, canonical}) {
    const std::uint64_t n = part.size();
    XXH3_128bits_update(&state, &n, sizeof n);
    XXH3_128bits_update(&state, part.data(), part.size());
  }
  const XXH128_hash_t h = XXH3_128bits_digest(&state);
  return {h.high64, h.low64};
}

cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical) {
  return make_key(key_space{space, {}}, model, canonical);
}

}  // namespace llmgw::cache
