#include "usage/record_writer.hpp"

#include <cstdio>
#include <utility>

#include "core/background_thread.hpp"

namespace llmgw::usage {

record_writer::record_writer(std::vector<std::unique_ptr<record_sink>> sinks, record_writer_options options)
    : sinks_(std::move(sinks)), options_(options) {}

record_writer::~record_writer() { stop(); }

record_queue& record_writer::add_queue() {
  queues_.push_back(std::make_unique<record_queue>(options_.queue_capacity, [this] { wake(); }));
  return *queues_.back();
}

void record_writer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void record_writer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  } else if (!queues_.empty()) {
    // Never started (the listeners failed, say): what was queued is still written.
    write_batch();
    report_drops(true);
    for (auto& s : sinks_) s->close();
  }
}

std::uint64_t record_writer::pending() const {
  std::uint64_t n = 0;
  for (const auto& q : queues_) n += q->pending();
  return n;
}

std::uint64_t record_writer::dropped() const {
  std::uint64_t n = 0;
  for (const auto& q : queues_) n += q->dropped();
  return n;
}

void record_writer::wake() {
  // On a worker thread, once per watermark crossing: rare enough for a lock.
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  cv_.notify_one();
}

void record_writer::run() {
  become_background_thread("records");
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, options_.interval, [this] { return wake_ || stopping_; });
      wake_ = false;
      stopping = stopping_;
    }
    // After stop() the producers have ended, so this batch is the last.
    write_batch();
    report_drops(stopping);
    for (auto& s : sinks_) s->tick();
    if (stopping) {
      for (auto& s : sinks_) s->close();
      return;
    }
  }
}

std::size_t record_writer::write_batch() {
  std::size_t n = 0;
  for (auto& q : queues_) {
    n += q->consume([this](request_record& r) {
      for (auto& s : sinks_) s->add(r);
      release_large_fields(r);
    });
  }
  if (n > 0) {
    for (auto& s : sinks_) s->flush();
  }
  return n;
}

void record_writer::report_drops(bool force) {
  const std::uint64_t total = dropped();
  if (total == reported_drops_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_report_ < options_.drop_report_interval) return;
  const std::uint64_t lost = total - reported_drops_;
  reported_drops_ = total;
  last_report_ = now;
  for (auto& s : sinks_) {
    s->dropped(lost, total);
    s->flush();
  }
  std::fprintf(stderr,
               "llmgw: warning: %llu request records dropped: a worker's record queue was full (%llu since start)\n",
               static_cast<unsigned long long>(lost), static_cast<unsigned long long>(total));
}

}  // namespace llmgw::usage
