#include "usage/row_codec.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <utility>

namespace llmgw::usage {

namespace {

constexpr std::size_t k_header = 4 + 8;
// No row comes near this (text fields are cut to k_max_field_bytes); a size
// past it is a torn or foreign header, not a huge entry.
constexpr std::uint32_t k_max_payload = 1 << 20;

template <class T>
char* put(char* out, T v) {
  std::memcpy(out, &v, sizeof(T));
  return out + sizeof(T);
}

template <class T>
bool get(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

enum kind : std::uint8_t { k_null = 0, k_integer = 1, k_real = 2, k_text = 3 };

}  // namespace

void append_entry(const row& r, std::string& out) {
  // Sized first, then written in place: one resize instead of an append (a
  // capacity check and a call) per value.
  std::size_t payload = sizeof(std::uint16_t);
  for (std::size_t c = 0; c < k_column_count; ++c) {
    const value& v = r[c];
    if (v.null) {
      payload += 1;
    } else if (k_columns[c].type == column_type::text) {
      payload += 1 + sizeof(std::uint32_t) + v.s.size();
    } else {
      payload += 1 + 8;
    }
  }
  const std::size_t start = out.size();
  out.resize(start + k_header + payload);
  char* const body = out.data() + start + k_header;
  char* p = put<std::uint16_t>(body, static_cast<std::uint16_t>(k_column_count));
  for (std::size_t c = 0; c < k_column_count; ++c) {
    const value& v = r[c];
    if (v.null) {
      *p++ = static_cast<char>(k_null);
      continue;
    }
    switch (k_columns[c].type) {
      case column_type::integer:
      case column_type::boolean:
        *p++ = static_cast<char>(k_integer);
        p = put<std::int64_t>(p, v.i);
        break;
      case column_type::real:
        *p++ = static_cast<char>(k_real);
        p = put<double>(p, v.d);
        break;
      case column_type::text:
        *p++ = static_cast<char>(k_text);
        p = put<std::uint32_t>(p, static_cast<std::uint32_t>(v.s.size()));
        if (!v.s.empty()) std::memcpy(p, v.s.data(), v.s.size());
        p += v.s.size();
        break;
    }
  }
  const std::uint64_t sum = XXH64(body, payload, 0);
  put<std::uint64_t>(put<std::uint32_t>(out.data() + start, static_cast<std::uint32_t>(payload)), sum);
}

bool entry_reader::whole_entry(std::string_view& payload) {
  if (corrupt_ || pos_ >= bytes_.size()) return false;
  std::string_view in = bytes_.substr(pos_);
  std::uint32_t size = 0;
  std::uint64_t sum = 0;
  if (!get(in, size) || !get(in, sum) || size > k_max_payload || in.size() < size ||
      (verify_ && XXH64(in.data(), size, 0) != sum)) {
    corrupt_ = true;
    return false;
  }
  payload = in.substr(0, size);
  return true;
}

bool entry_reader::skip() {
  std::string_view payload;
  if (!whole_entry(payload)) return false;
  pos_ += k_header + payload.size();
  return true;
}

bool entry_reader::next(row& out) {
  std::string_view p;
  if (!whole_entry(p)) return false;
  const std::size_t size = p.size();
  std::uint16_t columns = 0;
  if (!get(p, columns)) {
    corrupt_ = true;
    return false;
  }
  // An entry from an older schema has fewer columns: the rest are null.
  for (std::size_t c = 0; c < k_column_count; ++c) {
    value& v = out[c];
    v = value{};
    if (c >= columns) continue;
    std::uint8_t k = 0;
    if (!get(p, k)) k = 0xFF;
    // A value of another kind than its column's is not ours: the entry is bad.
    const column_type t = k_columns[c].type;
    const std::uint8_t expected = t == column_type::real ? k_real : t == column_type::text ? k_text : k_integer;
    bool ok = true;
    if (k == k_null) {
      // stays null
    } else if (k != expected) {
      ok = false;
    } else if (k == k_integer) {
      ok = get(p, v.i);
    } else if (k == k_real) {
      ok = get(p, v.d);
    } else {
      std::uint32_t n = 0;
      ok = get(p, n) && p.size() >= n;
      if (ok) {
        v.s = p.substr(0, n);
        p.remove_prefix(n);
      }
    }
    v.null = k == k_null;
    if (!ok) {
      corrupt_ = true;
      return false;
    }
  }
  pos_ += k_header + size;
  return true;
}

namespace {

// Walks whole entries by their sizes, at most `limit` of them and, past
// the first, `max_bytes` in all: {bytes, entries}.
std::pair<std::size_t, std::size_t> walk(std::string_view bytes, std::size_t limit, std::size_t max_bytes = SIZE_MAX) {
  std::size_t pos = 0, rows = 0;
  while (rows < limit && bytes.size() - pos >= k_header) {
    std::uint32_t size = 0;
    std::memcpy(&size, bytes.data() + pos, 4);
    if (bytes.size() - pos - k_header < size) break;
    if (rows > 0 && pos + k_header + size > max_bytes) break;
    pos += k_header + size;
    ++rows;
  }
  return {pos, rows};
}

}  // namespace

std::size_t entry_reader::count(std::string_view bytes) { return walk(bytes, SIZE_MAX).second; }

std::size_t entry_reader::prefix_bytes(std::string_view bytes, std::size_t rows) { return walk(bytes, rows).first; }

std::pair<std::size_t, std::size_t> entry_reader::prefix_within(std::string_view bytes, std::size_t max_bytes) {
  return walk(bytes, SIZE_MAX, max_bytes);
}

}  // namespace llmgw::usage
