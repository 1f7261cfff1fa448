#pragma once
// Rows the usage database refused (usage/usage_store.hpp's `refused`: a
// constraint an operator added, a value a column does not take). Asked
// again it would refuse them again, so they must not wait in the spool in
// front of every newer row; they are set aside here, one JSON line each,
// for an operator to read, fix and load by hand:
//   {"rejected_at_ms":…,"error":"…","row":{"request_id":"…",…}}
// The file is `usage-rejected.jsonl` in the spool folder, shared by the
// gateways that share the folder (each line is one append). Writer thread
// only.
#include <string>
#include <string_view>

#include "usage/usage_schema.hpp"

namespace llmgw::usage {

class rejected_rows {
 public:
  explicit rejected_rows(const std::string& dir);
  ~rejected_rows();
  rejected_rows(const rejected_rows&) = delete;
  rejected_rows& operator=(const rejected_rows&) = delete;

  // Appends `r` with the database's `error`; false when the file cannot be
  // written (errno kept).
  bool append(const row& r, std::string_view error);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;  // opened at the first refusal
  std::string line_;
};

// One row as a JSON object of its columns (null, number, boolean, string).
void append_row_json(const row& r, std::string& out);

}  // namespace llmgw::usage
