#pragma once
// The `usage:` section: where usage records (one row per request to a model
// endpoint) are kept. DATABASE_URL (postgres:// or postgresql://) in the
// environment selects PostgreSQL; otherwise a SQLite file.
#include <string>

namespace llmgw {

struct usage_config {
  bool enabled = true;                   // false: no usage database at all
  std::string sqlite_path = "usage.db";  // relative to the working directory
  // Where the spool files go while the database cannot take records.
  std::string spool_dir = ".";
  // DATABASE_URL; may hold a password: never printed.
  std::string database_url;
};

}  // namespace llmgw
