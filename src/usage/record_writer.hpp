#pragma once
// The one thread that takes finished records off the workers' queues and
// hands them to the sinks in batches. It wakes on a timer (so a record is
// written within `interval` plus the sinks' time) or early when a queue
// passes its watermark, and drains every queue before it stops, so a
// request that finished before SIGTERM is never lost.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "usage/record_queue.hpp"
#include "usage/record_sink.hpp"

namespace llmgw::usage {

struct record_writer_options {
  // Records a worker may have waiting. 16 Ki records cover 160 ms of a
  // stalled disk at 100,000 requests/s per worker, in about 6 MiB.
  std::size_t queue_capacity = 16 * 1024;
  // Longest sleep between batches. Short, so a batch is short: the writer
  // shares a core with a worker, and a 20 ms batch (1,200 records at 60k
  // requests/s) held the worker off long enough to double its p99.
  std::chrono::milliseconds interval{2};
  std::chrono::milliseconds drop_report_interval{1000};  // at most one drop report per interval
};

class record_writer {
 public:
  explicit record_writer(std::vector<std::unique_ptr<record_sink>> sinks, record_writer_options options = {});
  ~record_writer();  // stop()
  record_writer(const record_writer&) = delete;
  record_writer& operator=(const record_writer&) = delete;

  // One queue per producer thread; only before start(). The queue lives as
  // long as the writer.
  record_queue& add_queue();

  void start();
  // Wakes the thread, which drains every queue, flushes the sinks, reports
  // any drops not yet reported, and ends. Call it once the producers have
  // stopped: a record pushed after it is not written.
  void stop();

  // Records dropped over all queues since start (any thread).
  std::uint64_t dropped() const;
  // Records waiting in all queues now (any thread; a snapshot).
  std::uint64_t pending() const;

 private:
  void run();
  // One batch: every record pending in every queue. Returns how many.
  std::size_t write_batch();
  void report_drops(bool force);
  void wake();

  std::vector<std::unique_ptr<record_sink>> sinks_;
  record_writer_options options_;
  std::vector<std::unique_ptr<record_queue>> queues_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool wake_ = false;      // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;

  // Writer thread only.
  std::uint64_t reported_drops_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace llmgw::usage
