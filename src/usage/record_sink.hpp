#pragma once
// Where finished records go: the access log, the usage database.
// A sink is called only from the writer thread, so it needs no locking and
// may block (a disk, a database round trip) without delaying any response.
#include <cstdint>

#include "usage/request_record.hpp"

namespace llmgw::usage {

class record_sink {
 public:
  virtual ~record_sink() = default;

  // One record of the current batch. Batches keep each worker's order.
  virtual void add(const request_record& r) = 0;
  // The end of a batch: write what add() collected.
  virtual void flush() = 0;
  // `records` were lost since the last report because a worker's queue was
  // full (`total` since start). Rate-limited by the writer.
  virtual void dropped(std::uint64_t records, std::uint64_t total) {
    (void)records;
    (void)total;
  }
  // Every time the writer wakes, batch or not (every few milliseconds): for
  // work that waits on time, such as a reconnect or a spool replay.
  virtual void tick() {}
  // The writer is stopping: after the last flush(), write out everything held.
  virtual void close() { flush(); }
};

}  // namespace llmgw::usage
