#include "providers/json_fields.hpp"

#include <boost/json.hpp>

#include <cstdint>

namespace llmgw::providers {

namespace {

// Counts a vendor reports are never negative, and no request comes near
// 2^50 tokens: anything outside is not a count. The bound also keeps sums of
// a few counts (prompt + cached + cache-write) far from overflowing.
constexpr std::int64_t k_max_count = std::int64_t{1} << 50;

std::int64_t as_count(std::int64_t v) { return v >= 0 && v <= k_max_count ? v : 0; }

}  // namespace

std::int64_t count_of(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return as_count(v->get_int64());
  if (v->is_uint64()) {
    const std::uint64_t u = v->get_uint64();
    return u <= static_cast<std::uint64_t>(k_max_count) ? static_cast<std::int64_t>(u) : 0;
  }
  if (v->is_double()) {
    // Counts are whole numbers; a double out of range (or NaN) is not one.
    const double d = v->get_double();
    return d >= 0 && d <= static_cast<double>(k_max_count) ? static_cast<std::int64_t>(d) : 0;
  }
  return 0;
}

std::string_view string_in(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const boost::json::object* object_in(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

const boost::json::array* array_in(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

}  // namespace llmgw::providers
