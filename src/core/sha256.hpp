#pragma once
// SHA-256, the form in which gateway keys are stored and compared, so a
// plaintext key never needs to be kept.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw {

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::string_view data);

// 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);
std::string to_hex(const sha256_digest& digest);

// Parses 64 hex characters (either case); nullopt for anything else.
std::optional<sha256_digest> parse_sha256_hex(std::string_view hex);

// Overwrites a string that held a secret, in a way the optimiser may not
// remove, then empties it: called before plaintext keys are freed.
void secure_wipe(std::string& secret) noexcept;

}  // namespace llmgw
