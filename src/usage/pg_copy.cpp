#include "usage/pg_copy.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "usage/row_codec.hpp"
#include "usage/usage_schema.hpp"

namespace llmgw::usage {
namespace {

template <class T>
void append_be(std::string& out, T v) {
  char b[sizeof(T)];
  put_be(b, v);
  out.append(b, sizeof b);
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
  append_be<std::int32_t>(out, 0);
  append_be<std::int32_t>(out, 0);
  entry_reader reader(entries, entry_reader::checksums::skip);  // cut to whole entries by read_chunk
  row r;
  for (std::size_t n = 0; n < rows; ++n) {
    if (!reader.next(r)) return false;
    append_be<std::int16_t>(out, static_cast<std::int16_t>(k_column_count));
    for (std::size_t c = 0; c < k_column_count; ++c) {
      const value& v = r[c];
      if (v.null) {
        append_be<std::int32_t>(out, -1);
        continue;
      }
      switch (k_columns[c].type) {
        case column_type::integer:
          append_be<std::int32_t>(out, 8);
          append_be<std::int64_t>(out, v.i);
          break;
        case column_type::boolean:
          append_be<std::int32_t>(out, 1);
          out.push_back(v.i != 0 ? 1 : 0);
          break;
        case column_type::real:
          append_be<std::int32_t>(out, 8);
          append_be<std::uint64_t>(out, std::bit_cast<std::uint64_t>(v.d));
          break;
        case column_type::text: {
          append_be<std::int32_t>(out, static_cast<std::int32_t>(v.s.size()));
          const std::size_t at = out.size();
          out.append(v.s);
          replace_nul_bytes(out.data() + at, out.data() + out.size());
          break;
        }
      }
    }
  }
  append_be<std::int16_t>(out, -1);
  return true;
}

}  // namespace llmgw::usage
