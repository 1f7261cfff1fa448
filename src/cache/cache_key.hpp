#pragma once
// The response cache's key: a 128-bit XXH3 hash of the canonical form of
// everything that changes a chat answer (cache/canonical_chat.hpp), of the
// caller's space and of the resolved model.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::cache {

struct cache_key {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const cache_key&) const = default;
  std::string hex() const;  // 32 hex digits (logs, a network backend's key name)
};

// `space` separates callers (a gateway key id, or a namespace shared by
// several keys); `model` is the resolved model or group (the deployments the
// request may reach, in a stable order), never the weighted pick.
cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical);

// The same key for the space `prefix` + `name` ("key:" and a key id), hashed
// as the two parts without joining them into a string first.
struct key_space {
  std::string_view prefix;
  std::string_view name;
};
cache_key make_key(key_space space, std::string_view model, std::string_view canonical);

// The bytes a key hashes, in the thread's buffer: the space and the model
// with their sizes, then room for the form's size; the form is appended
// after it, and hash_key_material() writes its size and hashes the lot.
std::string& key_material(key_space space, std::string_view model);
cache_key hash_key_material();

// The key of the form that `write(out)` appends to `out` (returning false
// when the request has none: then neither has it a key), written straight
// into the bytes hashed instead of built apart and copied there. The same
// key as make_key(space, model, form). `write` runs on the thread's
// buffer, so it must not suspend.
template <class Write>
std::optional<cache_key> make_key_of(key_space space, std::string_view model, Write&& write) {
  std::string& material = key_material(space, model);
  if (!write(material)) return std::nullopt;
  return hash_key_material();
}

}  // namespace llmgw::cache
