#pragma once
// The cache keys of the request bodies a worker saw lately. A question asked
// again — what a cache hit is — has the same bytes, and its key is found here
// instead of being made again: the body parsed into a document and its
// canonical form written. Measured with callgrind on a 1 KB chat body, every
// feature on: a repeated body costs the worker 7.1k instructions less
// (60.3k -> 53.2k a request), a new one 2.0k more (60.8k -> 62.8k: the hash
// on top of the form), so the memo pays from about one request in four
// asked again.
//
// A body is known by a 128-bit XXH3 hash of its bytes under a secret drawn
// at random when the process starts, with the caller's space, the model and
// the client's API: two bodies with one identity would share a key, and a
// client cannot search for such a pair without the secret. (The key itself
// is an unkeyed XXH3-128 of the canonical form, cache/cache_key.hpp.)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cache/cache_key.hpp"
#include "cache/cached_answer.hpp"

namespace llmgw::cache {

// Who a body is: its bytes, whose space, which model, which client API.
struct body_identity {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const body_identity&) const = default;
};

// `api` is the API the body is written in: the same bytes sent as an OpenAI
// chat body and as an Anthropic Messages body are two questions.
body_identity identify_body(key_space space, std::string_view model, answer_api api, std::string_view body);

// One per worker (not shared, no lock). Direct-mapped: a body whose slot a
// newer one took is made again, nothing worse.
class key_memo {
 public:
  explicit key_memo(std::size_t slots = 1024);  // rounded up to a power of two

  // What the body gave when it was last seen: a key, or nullopt when it had
  // no canonical form (answered uncached). Null when not remembered.
  const std::optional<cache_key>* find(const body_identity& id) const;
  void remember(const body_identity& id, std::optional<cache_key> key);

 private:
  struct slot {
    body_identity id;
    std::optional<cache_key> key;
    bool used = false;
  };
  std::vector<slot> slots_;
};

}  // namespace llmgw::cache
