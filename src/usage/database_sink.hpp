#pragma once
// The record sink for a usage database: each record of a model endpoint
// becomes a row (usage/usage_schema.hpp), and nothing is lost while the
// database is down or slower than the gateway. The writer thread only
// encodes rows into batches; an inserter thread of the sink's own puts them
// in the database, a chunk per transaction. While the database keeps up, a
// batch is handed to the inserter in memory, one at a time; a batch that
// comes while the last one is still going in, or while the database is down
// or the spool holds rows, is appended to this process's spool file
// (usage/spool_file.hpp, a page-cache write), which the inserter moves into
// the database, oldest first, emptying it once all is in. So a slow
// database never holds up the writer (whose queues would fill and drop
// records): the spool grows instead, and shrinks when the database catches
// up. Reconnect attempts back off from 50 ms to 1 s.
// Spools left by processes that ended are claimed and replayed at start. On
// close() (SIGTERM) the batch and the spool go to the database if it is
// reachable; otherwise they stay in the spool for the next start. Rows the
// database refuses (not: cannot take now) are set aside in the rejected-rows
// file (usage/rejected_rows.hpp) instead of blocking the spool for ever.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "usage/record_sink.hpp"
#include "usage/rejected_rows.hpp"
#include "usage/spool_file.hpp"
#include "usage/usage_schema.hpp"
#include "usage/usage_store.hpp"

namespace llmgw::usage {

struct database_sink_options {
  std::string spool_dir = ".";
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{1000};
  // A batch is handed over once its oldest record waited this long (or it
  // holds max_batch_rows). A SIGKILL can lose, beyond the queues, the batch
  // being built and the one handed over in memory (while it goes in: a few
  // milliseconds when the database keeps up).
  std::chrono::milliseconds batch_interval{10};
  std::size_t max_batch_rows = 4096;
};

// What the metrics read of the sink from another thread: published by the
// writer thread after each batch and tick (relaxed atomics).
struct database_status {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> spool_bytes{0};  // spooled and not yet replayed, every claimed spool included
  std::atomic<std::uint64_t> rows_inserted{0};
  std::atomic<std::uint64_t> rows_spooled{0};
  std::atomic<std::uint64_t> rows_lost{0};
  std::atomic<std::uint64_t> rows_rejected{0};
};

class database_sink final : public record_sink {
 public:
  // Claims orphaned spools and creates this process's spool (throws
  // std::runtime_error when the spool folder is unusable), tries the
  // database once (unreachable is not an error: records wait in the spool),
  // and starts the inserter thread.
  database_sink(std::unique_ptr<usage_store> store, database_sink_options options = {});
  ~database_sink() override;
  database_sink(const database_sink&) = delete;
  database_sink& operator=(const database_sink&) = delete;

  // Writer thread.
  void add(const request_record& r) override;
  void flush() override;
  void tick() override;
  // Stops the inserter, then one last try whatever the backoff: the spool
  // goes to the database if it answers, else stays for the next start.
  void close() override;

  // For tests and the start-up log.
  std::uint64_t rows_inserted() const { return rows_inserted_; }
  // Appended while the database was down (they waited for it to answer).
  std::uint64_t rows_spooled() const { return rows_spooled_; }
  std::uint64_t rows_lost() const { return rows_lost_; }  // the spool could not be written, or an entry was corrupt
  std::uint64_t rows_rejected() const { return rows_rejected_; }  // refused, set aside
  const std::string& rejected_path() const { return rejected_.path(); }
  bool spool_empty() const;
  bool database_up() const { return up_; }
  // Until every row handed over so far is in the database (true), or the
  // database failed since (false), or `timeout` passed (false).
  bool wait_idle(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::string& spool_path() const { return spool_->path(); }
  std::string describe() const { return store_->describe(); }
  std::shared_ptr<const database_status> status() const { return status_; }

 private:
  using clock = std::chrono::steady_clock;
  // Inserter thread (and the constructor and close(), when it is not running).
  void run();
  bool ready(bool force);  // connected, or connected now; false while backing off
  void failed(const std::string& error);
  // Inserts whole entries; refused rows are set aside, so only a database
  // that cannot be asked makes it false.
  bool insert_batch(std::string_view entries, std::size_t rows);
  void set_aside(std::string_view entry, const std::string& error);
  // Moves spooled rows to the database, oldest first (claimed spools, then
  // ours); false when it stopped before the end (a failure, or a stop).
  bool drain();
  bool drain_file(spool_file& f, bool ours);
  // The batch handed over in memory, in chunks of the store's transaction
  // size; what a failure leaves goes to the spool. False on that failure.
  bool drain_handed();
  // Appends entries to our spool (m_ held); false, the rows counted as lost
  // and said at most once a second, when it cannot be written.
  bool spool_or_lose(std::string_view entries, std::size_t rows);
  void warn(const std::string& what);
  // Writer thread.
  void hand_over();  // the batch to the inserter: in memory, or through our spool
  void publish();    // status_ from the counters

  std::unique_ptr<usage_store> store_;
  database_sink_options options_;
  std::vector<spool_file> orphans_;  // claimed at start, replayed first (inserter)
  rejected_rows rejected_;           // inserter
  row row_;                          // writer: add(); inserter: set_aside()
  row rejected_row_;
  std::string batch_;  // writer: encoded entries of the current batch
  std::size_t batch_rows_ = 0;
  clock::time_point batch_started_{};  // when the batch's first row came
  std::string chunk_;                  // inserter: a spool chunk being inserted
  std::string handed_entries_;         // inserter: the batch taken from handed_batch_
  // Inserter state.
  bool connected_ = false;
  bool down_reported_ = false;
  int failures_ = 0;
  clock::time_point next_try_{};
  clock::time_point last_warning_{};
  clock::time_point last_rejection_report_{};
  clock::time_point last_loss_report_{};  // under m_
  // Shared by the writer (appends) and the inserter (reads, consumes).
  mutable std::mutex m_;
  std::condition_variable wake_;     // work for the inserter, or a stop
  std::condition_variable idle_;     // for wait_idle()
  std::optional<spool_file> spool_;  // ours
  std::string handed_batch_;         // a batch handed over in memory…
  std::size_t handed_rows_ = 0;      // …and its rows, until all of them are in (or spooled)
  bool stopping_ = false;
  std::uint64_t handed_ = 0;  // batches appended
  std::uint64_t done_ = 0;    // …whose rows are all in the database
  int failures_seen_ = 0;     // database failures so far
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> rows_inserted_{0};
  std::atomic<std::uint64_t> rows_spooled_{0};
  std::atomic<std::uint64_t> rows_lost_{0};
  std::atomic<std::uint64_t> rows_rejected_{0};
  std::shared_ptr<database_status> status_ = std::make_shared<database_status>();
  std::thread inserter_;
};

}  // namespace llmgw::usage
