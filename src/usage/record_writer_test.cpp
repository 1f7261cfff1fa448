#include "usage/record_writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/test_threads.hpp"
#include "usage/access_log_sink.hpp"

namespace llmgw::usage {
namespace {

using namespace std::chrono_literals;

// Keeps what the writer hands it, for the test thread to look at.
struct seen_by_sink {
  std::mutex mutex;
  std::vector<std::string> ids;          // request ids in arrival order
  std::vector<std::size_t> batch_sizes;  // records per flush()
  std::vector<std::uint64_t> drop_reports;
  std::uint64_t drop_total = 0;
  std::size_t in_batch = 0;

  std::size_t count() {
    std::lock_guard lock(mutex);
    return ids.size();
  }
};

class recording_sink final : public record_sink {
 public:
  explicit recording_sink(seen_by_sink& seen) : seen_(seen) {}
  void add(const request_record& r) override {
    std::lock_guard lock(seen_.mutex);
    seen_.ids.push_back(r.request_id);
    ++seen_.in_batch;
  }
  void flush() override {
    std::lock_guard lock(seen_.mutex);
    if (seen_.in_batch > 0) seen_.batch_sizes.push_back(seen_.in_batch);
    seen_.in_batch = 0;
  }
  void dropped(std::uint64_t records, std::uint64_t total) override {
    std::lock_guard lock(seen_.mutex);
    seen_.drop_reports.push_back(records);
    seen_.drop_total = total;
  }

 private:
  seen_by_sink& seen_;
};

std::unique_ptr<record_writer> make_writer(seen_by_sink& seen, record_writer_options options = {}) {
  std::vector<std::unique_ptr<record_sink>> sinks;
  sinks.push_back(std::make_unique<recording_sink>(seen));
  return std::make_unique<record_writer>(std::move(sinks), options);
}

bool push_id(record_queue& q, std::string id) {
  return q.try_push([&](request_record& r) { r.request_id = std::move(id); });
}

bool wait_for_count(seen_by_sink& seen, std::size_t n, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (seen.count() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// The writer shares a core with the request workers: a background thread
// (core/background_thread.hpp), named for /proc and top -H.
TEST(record_writer, writes_on_a_named_batch_scheduled_thread) {
  seen_by_sink seen;
  auto writer = make_writer(seen);
  writer->add_queue();
  EXPECT_TRUE(policies_of_threads_named("llmgw-records").empty());
  writer->start();
  EXPECT_EQ(policies_once_named("llmgw-records"), std::vector<int>{SCHED_BATCH});
  writer->stop();
  EXPECT_TRUE(policies_of_threads_named("llmgw-records").empty());
}

TEST(record_writer, keeps_each_workers_order_with_two_workers_pushing_at_once) {
  seen_by_sink seen;
  auto writer = make_writer(seen);
  record_queue* queues[2] = {&writer->add_queue(), &writer->add_queue()};
  writer->start();
  constexpr int k_each = 5000;
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < k_each; ++i) {
        while (!push_id(*queues[w], std::to_string(w) + ":" + std::to_string(i))) std::this_thread::yield();
      }
    });
  }
  for (auto& t : workers) t.join();
  writer->stop();
  ASSERT_EQ(seen.ids.size(), 2u * k_each);
  int next[2] = {0, 0};
  for (const auto& id : seen.ids) {
    const int w = id[0] - '0';
    ASSERT_EQ(id, std::to_string(w) + ":" + std::to_string(next[w])) << "out of order for worker " << w;
    ++next[w];
  }
}

TEST(record_writer, records_waiting_together_are_written_as_one_batch) {
  seen_by_sink seen;
  auto writer = make_writer(seen, {.interval = 50ms});
  auto& q = writer->add_queue();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(push_id(q, std::to_string(i)));
  writer->start();
  ASSERT_TRUE(wait_for_count(seen, 1000, 2s));
  writer->stop();
  EXPECT_EQ(seen.batch_sizes, (std::vector<std::size_t>{1000}));
}

TEST(record_writer, a_full_queue_counts_its_drops_and_reports_them_once) {
  seen_by_sink seen;
  auto writer = make_writer(seen, {.queue_capacity = 4});
  auto& q = writer->add_queue();
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += push_id(q, std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(writer->dropped(), 6u);
  writer->start();
  writer->stop();
  EXPECT_EQ(seen.ids, (std::vector<std::string>{"0", "1", "2", "3"}));  // the oldest kept, none overwritten
  EXPECT_EQ(seen.drop_reports, (std::vector<std::uint64_t>{6}));
  EXPECT_EQ(seen.drop_total, 6u);
}

TEST(record_writer, drop_reports_are_rate_limited) {
  seen_by_sink seen;
  auto writer = make_writer(seen, {.queue_capacity = 2, .interval = 30ms, .drop_report_interval = 10s});
  auto& q = writer->add_queue();
  writer->start();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) push_id(q, "x");  // 2 fit, 3 are dropped
    std::this_thread::sleep_for(100ms);           // the writer wakes at least twice
  }
  writer->stop();
  // The first drops are reported at once; the later ones wait for the
  // interval, and stop() reports what is left.
  EXPECT_EQ(writer->dropped(), 9u);
  EXPECT_EQ(seen.drop_reports, (std::vector<std::uint64_t>{3, 6}));
  EXPECT_EQ(seen.drop_total, 9u);
}

TEST(record_writer, stop_drains_every_queue_without_waiting_for_the_timer) {
  seen_by_sink seen;
  auto writer = make_writer(seen, {.interval = 10s});
  auto& a = writer->add_queue();
  auto& b = writer->add_queue();
  writer->start();
  std::this_thread::sleep_for(20ms);  // the thread is asleep on its 10 s timer
  for (int i = 0; i < 50; ++i) {
    push_id(a, "a" + std::to_string(i));
    push_id(b, "b" + std::to_string(i));
  }
  const auto t0 = std::chrono::steady_clock::now();
  writer->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(seen.ids.size(), 100u);
}

TEST(record_writer, records_queued_before_a_start_that_never_came_are_written_by_stop) {
  seen_by_sink seen;
  auto writer = make_writer(seen);
  push_id(writer->add_queue(), "early");
  writer->stop();
  EXPECT_EQ(seen.ids, (std::vector<std::string>{"early"}));
}

TEST(record_writer, a_burst_past_the_watermark_wakes_the_writer_before_its_timer) {
  seen_by_sink seen;
  auto writer = make_writer(seen, {.queue_capacity = 64, .interval = 10s});  // watermark 16
  auto& q = writer->add_queue();
  writer->start();
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 16; ++i) push_id(q, std::to_string(i));
  EXPECT_TRUE(wait_for_count(seen, 16, 2s));
  writer->stop();
}

TEST(record_writer, an_access_log_line_is_written_within_100_ms_of_the_request_end) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::vector<std::unique_ptr<record_sink>> sinks;
  sinks.push_back(std::make_unique<access_log_sink>(fds[1], true));
  record_writer writer(std::move(sinks));
  auto& q = writer.add_queue();
  writer.start();
  std::this_thread::sleep_for(30ms);  // mid-sleep, wherever the timer is
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    q.try_push([&](request_record& r) {
      r.request_id = "req_" + std::to_string(round);
      r.ended = std::chrono::system_clock::now();
    });
    pollfd p{fds[0], POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 100), 1) << "no line within 100 ms";
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(waited, 100ms);
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    const std::string line(buf, static_cast<std::size_t>(n));
    EXPECT_NE(line.find("\"type\":\"access\",\"request_id\":\"req_" + std::to_string(round) + "\""), std::string::npos)
        << line;
    std::this_thread::sleep_for(std::chrono::milliseconds(7 * round));
  }
  writer.stop();
  ::close(fds[0]);
}

}  // namespace
}  // namespace llmgw::usage
