#pragma once
// Every worker's metrics block, and the scrape: GET /metrics sums the
// blocks (by label names, since each worker numbers its names its own way)
// and renders the Prometheus text. The request path never comes here; a
// worker writes only its own block.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/worker_metrics.hpp"
#include "usage/database_sink.hpp"
#include "usage/record_writer.hpp"

namespace llmgw::metrics {

class registry {
 public:
  // One block per worker thread, made as the worker is built; it lives as
  // long as the registry.
  worker_metrics& add_worker();
  // The record writer whose queues' depth and drops are exported (null:
  // none). Set before the workers start.
  void watch_usage(const usage::record_writer* writer) { usage_ = writer; }
  // The usage database's health and spool (null: no database). Set before the workers start.
  void watch_database(std::shared_ptr<const usage::database_status> status) { database_ = std::move(status); }

  // The exposition text of the sum of every worker (any thread).
  std::string render() const;

 private:
  mutable std::mutex mutex_;  // guards workers_ (start-up and scrapes only)
  std::vector<std::unique_ptr<worker_metrics>> workers_;
  const usage::record_writer* usage_ = nullptr;
  std::shared_ptr<const usage::database_status> database_;
};

}  // namespace llmgw::metrics
