#include "cache/key_memo.hpp"

#include <openssl/rand.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <initializer_list>
#include <random>

namespace llmgw::cache {

namespace {

// Random bytes make the best XXH3 secret (its documentation asks for high
// entropy); 192 is the size of XXH3's own default secret.
using secret_bytes = std::array<unsigned char, 192>;

const secret_bytes& process_secret() {
  static const secret_bytes secret = [] {
    secret_bytes s{};
    if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      std::random_device rd;
      for (auto& b : s) b = static_cast<unsigned char>(rd());
    }
    return s;
  }();
  return secret;
}

void put_u64(unsigned char*& at, std::uint64_t v) {
  std::memcpy(at, &v, sizeof v);
  at += sizeof v;
}

}  // namespace

body_identity identify_body(key_space space, std::string_view model, answer_api api, std::string_view body) {
  const secret_bytes& secret = process_secret();
  // The body hashed alone (no copy of it), then that hash with the other
  // parts, each after its size so ("ab","c") and ("a","bc") differ. They
  // are names from the config (a key id or namespace, a model or group),
  // short; one past the buffer is put in as its own hash.
  const XXH128_hash_t of_body = XXH3_128bits_withSecret(body.data(), body.size(), secret.data(), secret.size());
  std::array<unsigned char, 512> parts;
  unsigned char* at = parts.data();
  put_u64(at, of_body.high64);
  put_u64(at, of_body.low64);
  *at++ = static_cast<unsigned char>(api);
  for (const std::string_view part : {space.prefix, space.name, model}) {
    put_u64(at, part.size());
    if (part.size() <= 128) {
      std::memcpy(at, part.data(), part.size());
      at += part.size();
    } else {
      put_u64(at, XXH3_64bits_withSecret(part.data(), part.size(), secret.data(), secret.size()));
    }
  }
  const XXH128_hash_t h =
      XXH3_128bits_withSecret(parts.data(), static_cast<std::size_t>(at - parts.data()), secret.data(), secret.size());
  return {h.high64, h.low64};
}

key_memo::key_memo(std::size_t slots) : slots_(std::bit_ceil(std::max<std::size_t>(slots, 1))) {}

const std::optional<cache_key>* key_memo::find(const body_identity& id) const {
  const slot& s = slots_[id.low & (slots_.size() - 1)];
  return s.used && s.id == id ? &s.key : nullptr;
}

void key_memo::remember(const body_identity& id, std::optional<cache_key> key) {
  slots_[id.low & (slots_.size() - 1)] = {id, key, true};
}

}  // namespace llmgw::cache
