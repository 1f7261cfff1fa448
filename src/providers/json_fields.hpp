#pragma once
// Lenient field access for vendor JSON: a missing or mistyped field reads as
// absent (0, "", nullptr), because vendors add and omit fields freely and a
// decoder must not fail on what it does not need.
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <string_view>

namespace llmgw::providers {

// A count field (a double is truncated); 0 when absent, not a number,
// negative or beyond 2^50.
std::int64_t count_of(const boost::json::object& o, std::string_view key);
// A string field, viewing `o`; empty when absent or not a string.
std::string_view string_in(const boost::json::object& o, std::string_view key);
const boost::json::object* object_in(const boost::json::object& o, std::string_view key);
const boost::json::array* array_in(const boost::json::object& o, std::string_view key);

}  // namespace llmgw::providers
