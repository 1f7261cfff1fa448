#pragma once
// The record sink for a usage database: each record of a model endpoint
// becomes a row (usage/usage_schema.hpp), a batch is inserted in one
// transaction, and nothing is lost while the database is down or slow: the
// batch goes to this process's spool file instead (usage/spool_file.hpp),
// and the spool is replayed in order — before any newer batch — once the
// database answers again (reconnect attempts back off from 50 ms to 1 s).
// Spools left by processes that ended are claimed and replayed at start. On
// close() (SIGTERM) the batch and the spool go to the database if it is
// reachable; otherwise they stay in the spool for the next start. Rows the
// database refuses (not: cannot take now) are set aside in the rejected-rows
// file (usage/rejected_rows.hpp) instead of blocking the spool for ever.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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
  // A batch is written once its oldest record waited this long (or it holds
  // max_batch_rows): fewer, larger transactions cost the writer less per
  // row. Also what a SIGKILL can lose beyond the queues.
  std::chrono::milliseconds batch_interval{20};
  std::size_t max_batch_rows = 4096;
  // Spool read per insert: a few hundred rows, well inside a statement's deadline.
  std::size_t replay_chunk_bytes = 256 * 1024;
  std::size_t replay_chunks_per_tick = 8;  // bounds the writer's time per wake
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
  // std::runtime_error when the spool folder is unusable), then tries the
  // database once: unreachable is not an error, records are spooled.
  database_sink(std::unique_ptr<usage_store> store, database_sink_options options = {});
  ~database_sink() override;
  database_sink(const database_sink&) = delete;
  database_sink& operator=(const database_sink&) = delete;

  void add(const request_record& r) override;
  void flush() override;
  void tick() override;
  void close() override;

  // For tests and the start-up log.
  std::uint64_t rows_inserted() const { return rows_inserted_; }
  std::uint64_t rows_spooled() const { return rows_spooled_; }
  std::uint64_t rows_lost() const { return rows_lost_; }          // the spool could not be written
  std::uint64_t rows_rejected() const { return rows_rejected_; }  // refused, set aside
  const std::string& rejected_path() const { return rejected_.path(); }
  bool spool_empty() const;
  const std::string& spool_path() const { return spool_->path(); }
  std::string describe() const { return store_->describe(); }
  std::shared_ptr<const database_status> status() const { return status_; }

 private:
  using clock = std::chrono::steady_clock;
  bool ready(bool force);  // connected, or connected now; false while backing off
  void failed(const std::string& error);
  // Inserts whole entries; refused rows are set aside, so only a database
  // that cannot be asked makes it false.
  bool insert_batch(std::string_view entries, std::size_t rows);
  void set_aside(std::string_view entry, const std::string& error);
  // Moves spooled rows to the database, oldest first; false when it stopped
  // before the end (a failure, or the per-tick bound when `bounded`).
  bool drain(bool bounded);
  bool drain_file(spool_file& f, std::size_t& chunks, bool bounded);
  void to_spool();
  void write_batch();  // the batch to the database, or to the spool
  void warn(const std::string& what);
  void publish();  // status_ from this thread's counters

  std::unique_ptr<usage_store> store_;
  database_sink_options options_;
  std::vector<spool_file> orphans_;  // claimed at start, replayed first
  std::optional<spool_file> spool_;  // ours
  rejected_rows rejected_;
  row row_;
  std::string batch_;  // encoded entries of the current batch
  std::size_t batch_rows_ = 0;
  clock::time_point batch_started_{};  // when the batch's first row came
  std::string chunk_;                  // a spool chunk being replayed
  bool connected_ = false;
  bool down_reported_ = false;
  int failures_ = 0;
  clock::time_point next_try_{};
  clock::time_point last_warning_{};
  std::uint64_t rows_inserted_ = 0;
  std::uint64_t rows_spooled_ = 0;
  std::uint64_t rows_lost_ = 0;
  std::uint64_t rows_rejected_ = 0;
  clock::time_point last_loss_report_{};
  clock::time_point last_rejection_report_{};
  std::shared_ptr<database_status> status_ = std::make_shared<database_status>();
};

}  // namespace llmgw::usage
