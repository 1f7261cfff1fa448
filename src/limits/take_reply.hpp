#pragma once
// The Redis bucket script's answer to a take (limits/bucket_script.hpp):
// one text for the whole call, the requests' answers in order joined by
// ';', each its numbers joined by ' ': admitted, refused (1-based among the
// request's keys, 0: none), never_fits, retry_after_ms, then per key the
// remaining amount and the ms until the bucket is full.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "limits/limiter.hpp"

namespace llmgw::limits {

// One decision per request, `charges[i]` keys for request i; empty when
// the text is not such an answer (a count off, a number that is not one,
// anything left over).
std::vector<decision> read_take_reply(std::string_view text, std::span<const std::size_t> charges);

}  // namespace llmgw::limits
