#include "usage/rejected_rows.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::usage {

void append_row_json(const row& r, std::string& out) {
  out += '{';
  for (std::size_t c = 0; c < k_column_count; ++c) {
    if (c > 0) out += ',';
    append_json_string(out, k_columns[c].name);
    out += ':';
    const value& v = r[c];
    if (v.null) {
      out += "null";
      continue;
    }
    switch (k_columns[c].type) {
      case column_type::integer:
        append_number(out, v.i);
        break;
      case column_type::boolean:
        out += v.i != 0 ? "true" : "false";
        break;
      case column_type::real:
        // JSON has no NaN or infinity: such a value (perhaps the very
        // reason of the refusal) is written as a string.
        if (std::isfinite(v.d)) {
          append_number(out, v.d);
        } else {
          out += std::isnan(v.d) ? "\"NaN\"" : v.d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
        }
        break;
      case column_type::text:
        append_json_string(out, v.s);
        break;
    }
  }
  out += '}';
}

rejected_rows::rejected_rows(const std::string& dir) : path_(dir + "/usage-rejected.jsonl") {}

rejected_rows::~rejected_rows() {
  if (fd_ >= 0) ::close(fd_);
}

bool rejected_rows::append(const row& r, std::string_view error) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return false;
  }
  using namespace std::chrono;
  line_.assign("{\"rejected_at_ms\":");
  append_number(line_, duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  line_ += ",\"error\":";
  append_json_string(line_, error);
  line_ += ",\"row\":";
  append_row_json(r, line_);
  line_ += "}\n";
  // One write, so lines of gateways sharing the file do not interleave.
  const ssize_t n = ::write(fd_, line_.data(), line_.size());
  if (n == static_cast<ssize_t>(line_.size())) return true;
  if (n >= 0) errno = ENOSPC;
  return false;
}

}  // namespace llmgw::usage
