#pragma once
// Usage rows in PostgreSQL's binary COPY format, for `COPY usage_records
// (...) FROM STDIN (FORMAT binary)`: the cheapest way to give PostgreSQL
// many rows (no statement of thousands of parameters to parse, no executor
// per row). A COPY has no ON CONFLICT: a batch that meets a stored key fails
// whole and goes in again through INSERT … ON CONFLICT DO NOTHING.
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace llmgw::usage {

// `v` in network byte order at `out` (sizeof(T) bytes): how PostgreSQL's
// binary format writes every length and number, in a COPY stream and in a
// statement's binary parameters alike.
template <class T>
void put_be(char* out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  for (std::size_t i = sizeof(U); i-- > 0;) {
    out[i] = static_cast<char>(u & 0xFF);
    u = static_cast<U>(u >> 8);
  }
}

// COPY usage_records (every column, in k_columns order) FROM STDIN (FORMAT binary)
std::string copy_sql();

// PostgreSQL text holds no NUL (a client may send "\u0000" in `user`): each
// becomes a space, so one such row cannot block its batch for ever. Both
// ways of sending rows (this COPY and the INSERT's parameters) use it.
void replace_nul_bytes(char* begin, char* end);

// Appends the header, the `rows` entries of `entries` (usage/row_codec.hpp)
// and the trailer to `out`. False when an entry is corrupt (then `out` holds
// a partial stream, not to be sent).
bool append_copy_stream(std::string_view entries, std::size_t rows, std::string& out);

}  // namespace llmgw::usage
