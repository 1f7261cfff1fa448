#include "usage/pg_copy.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {
namespace {

// Network byte order, as the format's every length and number.
template <class T>
void put_be(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  char b[sizeof(U)];
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    b[sizeof(U) - 1 - i] = static_cast<char>(u & 0xFF);
    u = static_cast<U>(u >> 8);
  }
  out.append(b, sizeof(U));
}

}  // namespace

void replace_nul_bytes(char* begin, char* end) { std::replace(begin, end, '\0', ' '); }

std::string copy_sql() {
  std::string sql = "COPY usage_records (";
  for (std::size_t c = 0; c < k_column_count; ++c) {
    if (c) sql += ", ";
    sql += k_columns[c].name;
  }
  sql += ") FROM STDIN (FORMAT binary)";
  return sql;
}

bool append_copy_stream(std::string_view entries, std::size_t rows, std::string& out) {
  // Signature, flags (no OIDs), header extension length.
  out.append("PGCOPY\n\377\r\n\0", 11);
  put_be<std::int32_t>(out, 0);
  put_be<std::int32_t>(out, 0);
  entry_reader reader(entries, entry_reader::checksums::skip);  // verified when read from the spool
  row r;
  for (std::size_t n = 0; n < rows; ++n) {
    if (!reader.next(r)) return false;
    put_be<std::int16_t>(out, static_cast<std::int16_t>(k_column_count));
    for (std::size_t c = 0; c < k_column_count; ++c) {
      const value& v = r[c];
      if (v.null) {
        put_be<std::int32_t>(out, -1);
        continue;
      }
      switch (k_columns[c].type) {
        case column_type::integer:
          put_be<std::int32_t>(out, 8);
          put_be<std::int64_t>(out, v.i);
          break;
        case column_type::boolean:
          put_be<std::int32_t>(out, 1);
          out.push_back(v.i != 0 ? 1 : 0);
          break;
        case column_type::real:
          put_be<std::int32_t>(out, 8);
          put_be<std::uint64_t>(out, std::bit_cast<std::uint64_t>(v.d));
          break;
        case column_type::text: {
          put_be<std::int32_t>(out, static_cast<std::int32_t>(v.s.size()));
          const std::size_t at = out.size();
          out.append(v.s);
          replace_nul_bytes(out.data() + at, out.data() + out.size());
          break;
        }
      }
    }
  }
  put_be<std::int16_t>(out, -1);
  return true;
}

}  // namespace llmgw::usage
