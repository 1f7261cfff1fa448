#include "cache/cache_key.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstring>

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

namespace {

// The thread's key material and where its form starts.
struct material_buffer {
  std::string bytes;
  std::size_t form_at = 0;
};
thread_local material_buffer t_material;

void append_size(std::string& out, std::uint64_t n) { out.append(reinterpret_cast<const char*>(&n), sizeof n); }

}  // namespace

std::string& key_material(key_space space, std::string_view model) {
  // Lengths first: ("ab","c") and ("a","bc") must not hash alike. The
  // space's two parts hash as the one string they spell. One buffer the
  // thread keeps, hashed in one call: XXH3's streaming state cost about 1.3k
  // instructions for seven updates (a 1 KB question), one-shot a fraction of
  // that. The bytes hashed are those of every earlier version, so are the
  // keys (entries stored in Redis before are still found).
  std::string& m = t_material.bytes;
  constexpr std::size_t k_keep = 1 << 20;  // a huge question's copy is not kept
  if (m.capacity() > k_keep) std::string().swap(m);
  m.clear();
  append_size(m, space.prefix.size() + space.name.size());
  m.append(space.prefix).append(space.name);
  append_size(m, model.size());
  m.append(model);
  append_size(m, 0);  // the form's size, once it is written
  t_material.form_at = m.size();
  return m;
}

cache_key hash_key_material() {
  std::string& m = t_material.bytes;
  const std::uint64_t form = m.size() - t_material.form_at;
  std::memcpy(m.data() + t_material.form_at - sizeof form, &form, sizeof form);
  const XXH128_hash_t h = XXH3_128bits(m.data(), m.size());
  return {h.high64, h.low64};
}

cache_key make_key(key_space space, std::string_view model, std::string_view canonical) {
  return *make_key_of(space, model, [&](std::string& out) {
    out.append(canonical);
    return true;
  });
}

cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical) {
  return make_key(key_space{space, {}}, model, canonical);
}

}  // namespace llmgw::cache
