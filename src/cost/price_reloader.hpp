#pragma once
// Keeps the price book current without a restart: on SIGHUP, and when the
// prices file's modification time or size changes (checked once a second),
// the file is read again and a new catalog is published. A file that does
// not load keeps the old catalog, and the reason is logged to stderr. One
// small thread of its own; workers are never involved.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cost/price_book.hpp"

namespace llmgw::cost {

class price_reloader {
 public:
  // `path`: the prices file (empty: none; SIGHUP is then only logged).
  // `configured` and `builtin` go into every catalog published.
  price_reloader(price_book& book, std::string path, std::shared_ptr<const price_table> configured,
                 const price_table* builtin, std::chrono::milliseconds poll = std::chrono::seconds(1));
  ~price_reloader();  // stops the thread
  price_reloader(const price_reloader&) = delete;
  price_reloader& operator=(const price_reloader&) = delete;

  // Catches SIGHUP (from now on it no longer ends the process) and starts watching.
  void start();

  // Reads the file and publishes it; false (old catalog kept) when it does
  // not load. `why` is for the log ("SIGHUP", "file changed").
  bool reload(const char* why);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The catalog for a start-up: throws std::runtime_error naming the file
// when `path` is set and does not load.
std::shared_ptr<const price_catalog> initial_catalog(const std::string& path,
                                                     std::shared_ptr<const price_table> configured,
                                                     const price_table* builtin);

}  // namespace llmgw::cost
