// The upstream call against a scripted vendor on a loopback socket: the
// total deadline, the per-response cap and the memory budget of read_all,
// and which failures may be retried elsewhere.
#include "http/upstream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/memory_budget.hpp"

namespace llmgw::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What the vendor sends after reading the request head.
struct script {
  std::string head;                      // status line and headers, blank line included
  std::string body;                      // sent at once after the head
  std::chrono::milliseconds trickle{0};  // then, if set, one byte this often until the peer leaves
};

std::string with_length(std::string_view body) {
  return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
         "\r\n\r\n";
}

const std::string k_chunked_head =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";

// `total` bytes of body in chunks of 8 KiB, then the last chunk.
std::string chunked(std::size_t total) {
  std::string out;
  const std::string piece(8192, 'a');
  char size_line[32];
  for (std::size_t sent = 0; sent < total; sent += piece.size()) {
    const std::size_t n = std::min(piece.size(), total - sent);
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    out.append(size_line);
    out.append(piece, 0, n);
    out.append("\r\n");
  }
  out.append("0\r\n\r\n");
  return out;
}

asio::awaitable<void> vendor(tcp::acceptor& acceptor, script s) {
  auto [aec, sock] = co_await acceptor.async_accept(use_tuple);
  if (aec) co_return;
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_tuple);
    if (ec) co_return;
    request.append(buf, n);
  }
  s.head.append(s.body);
  auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(s.head), use_tuple);
  if (wec || s.trickle == 0ms) co_return;
  asio::steady_timer timer(acceptor.get_executor());
  for (;;) {
    timer.expires_after(s.trickle);
    co_await timer.async_wait(use_tuple);
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(" ", 1), use_tuple);
    if (ec) co_return;
  }
}

struct outcome {
  upstream_failure started = upstream_failure::cancelled;
  upstream_failure read = upstream_failure::cancelled;
  std::string body;
  std::size_t capacity = 0;
  std::size_t charged = 0;
  std::size_t budget_used_after = 0;
  std::size_t pooled_after = 0;
  std::size_t pooled_buffer_bytes = 0;  // the idle connections' read buffers after the call
  std::chrono::milliseconds took{};
  std::string content_type;          // call.header("content-type")
  std::string content_type_by_name;  // call.header("CONTENT-TYPE")
};

asio::awaitable<void> fetch(upstream_pool& pool, origin o, upstream_timeouts t, memory_budget* budget,
                            std::size_t limit, outcome* out) {
  const auto t0 = clock::now();
  {
    upstream_call call(pool, o, t);
    out->started = co_await call.start("GET / HTTP/1.1\r\nhost: vendor\r\n\r\n", "");
    if (out->started == upstream_failure::none) {
      out->content_type = call.header("content-type");
      out->content_type_by_name = call.header("CONTENT-TYPE");
      budget_charge charge(budget);
      out->read = co_await call.read_all(out->body, limit, budget ? &charge : nullptr);
      out->capacity = out->body.capacity();
      out->charged = charge.charged();
    }
  }
  out->took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0);
  out->pooled_after = pool.idle_connections();
  out->pooled_buffer_bytes = pool.idle_buffer_bytes();
  if (budget) out->budget_used_after = budget->used();
}

outcome run(script s, std::size_t limit, memory_budget* budget = nullptr, upstream_timeouts t = {}) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  upstream_pool pool(ioc);
  outcome out;
  const auto o = origin::make("127.0.0.1", acceptor.local_endpoint().port(), false);
  asio::co_spawn(ioc, vendor(acceptor, std::move(s)), asio::detached);
  std::exception_ptr failed;
  asio::co_spawn(ioc, fetch(pool, o, t, budget, limit, &out), [&](std::exception_ptr e) {
    failed = e;
    acceptor.close();
    ioc.stop();  // the vendor may still be trickling
  });
  ioc.run_for(10s);
  if (failed) std::rethrow_exception(failed);
  return out;
}

TEST(upstream_read_all, reads_a_declared_body_into_a_buffer_of_its_size_and_charges_it) {
  const std::string body(1'000'000, 'x');
  memory_budget budget(2'000'000);
  auto out = run({with_length(body), body}, 64 << 20, &budget);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.read, upstream_failure::none);
  EXPECT_EQ(out.body, body);
  EXPECT_EQ(out.capacity, body.size());  // reserved once, exactly
  EXPECT_EQ(out.charged, out.capacity);
  EXPECT_EQ(out.budget_used_after, 0u);  // given back with the charge
  EXPECT_EQ(out.pooled_after, 1u);       // read to its end: the connection is reused
}

// The respond and attempts stages ask every answer its content type (JSON
// or a stream?): the header whatever either side's spelling, or nothing.
TEST(upstream_call, content_type_is_the_answers_header_in_any_case_or_empty) {
  auto out =
      run({"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\ncontent-length: 0\r\n\r\n", ""}, 1024);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.content_type, "text/event-stream; charset=utf-8");
  EXPECT_EQ(out.content_type_by_name, out.content_type);
  out = run({"HTTP/1.1 200 OK\r\nx-content-type: text/plain\r\ncontent-length: 0\r\n\r\n", ""}, 1024);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.content_type, "");
}

TEST(upstream_read_all, a_declared_body_over_the_budget_is_refused_before_it_is_read) {
  const std::string body(1'000'000, 'x');
  memory_budget budget(500'000);
  auto out = run({with_length(body), body}, 64 << 20, &budget);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.read, upstream_failure::over_budget);
  EXPECT_TRUE(out.body.empty());
  EXPECT_LT(out.capacity, 100'000u);
  EXPECT_EQ(out.budget_used_after, 0u);
  EXPECT_EQ(out.pooled_after, 0u);  // half-read: closed, never pooled
}

TEST(upstream_read_all, a_chunked_body_stops_growing_where_the_budget_refuses) {
  memory_budget budget(600'000);
  auto out = run({k_chunked_head, chunked(1'000'000)}, 64 << 20, &budget);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.read, upstream_failure::over_budget);
  EXPECT_LE(out.capacity, 600'000u);  // the buffer never outgrew its charge
  EXPECT_LE(out.charged, 600'000u);
  EXPECT_GE(out.charged, out.capacity);
  EXPECT_EQ(out.pooled_after, 0u);
}

TEST(upstream_read_all, a_chunked_body_within_the_budget_is_read_whole) {
  memory_budget budget(4'000'000);
  auto out = run({k_chunked_head, chunked(1'000'000)}, 64 << 20, &budget);
  EXPECT_EQ(out.read, upstream_failure::none);
  EXPECT_EQ(out.body, std::string(1'000'000, 'a'));
  EXPECT_EQ(out.charged, out.capacity);
  EXPECT_LT(out.capacity, 2'100'000u);
  EXPECT_EQ(out.pooled_after, 1u);
}

TEST(upstream_read_all, a_declared_body_over_the_cap_is_refused_without_reading_it) {
  const std::string body(300'000, 'x');
  auto out = run({with_length(body), body}, 100'000);
  EXPECT_EQ(out.read, upstream_failure::too_large);
  EXPECT_TRUE(out.body.empty());
  EXPECT_EQ(out.pooled_after, 0u);
}

TEST(upstream_read_all, a_chunked_body_over_the_cap_grows_no_further_than_the_cap) {
  auto out = run({k_chunked_head, chunked(300'000)}, 100'000);
  EXPECT_EQ(out.read, upstream_failure::too_large);
  EXPECT_LE(out.capacity, 100'000u + 16 * 1024);  // not the next doubling
  EXPECT_EQ(out.pooled_after, 0u);
}

// Buffers sized to need: a small answer leaves its connection in the pool
// with a small read buffer (a paced stream of small events keeps no more);
// a large one grows it for large reads, and the pool takes the growth back.
TEST(upstream_pool, a_connection_keeps_a_read_buffer_sized_to_its_answers) {
  auto small = run({with_length("{}"), "{}"}, 64 << 20);
  ASSERT_EQ(small.read, upstream_failure::none);
  ASSERT_EQ(small.pooled_after, 1u);
  EXPECT_GT(small.pooled_buffer_bytes, 0u);
  EXPECT_LE(small.pooled_buffer_bytes, 1024u);

  auto large = run({k_chunked_head, chunked(1'000'000)}, 64 << 20);
  ASSERT_EQ(large.read, upstream_failure::none);
  ASSERT_EQ(large.pooled_after, 1u);
  EXPECT_LE(large.pooled_buffer_bytes, 16u * 1024);
}

TEST(upstream_call, a_trickling_body_ends_at_the_total_deadline) {
  upstream_timeouts t;
  t.idle = 1000ms;  // each byte comes well within it
  t.total = 400ms;
  auto out = run({"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                  "1000\r\n",
                  "", 50ms},
                 64 << 20, nullptr, t);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.read, upstream_failure::total_timeout);
  EXPECT_GE(out.took, 350ms);
  EXPECT_LT(out.took, 900ms);
}

TEST(upstream_call, a_silent_vendor_within_the_total_is_still_an_idle_timeout) {
  upstream_timeouts t;
  t.idle = 200ms;
  t.total = 5000ms;
  // Headers, then nothing (the vendor holds the connection open).
  auto out = run({"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "", 10'000ms}, 64 << 20, nullptr, t);
  EXPECT_EQ(out.read, upstream_failure::idle_timeout);
  EXPECT_LT(out.took, 1000ms);
}

TEST(upstream_call, the_deadline_also_bounds_the_wait_for_the_first_byte) {
  upstream_timeouts t;
  t.first_byte = 5000ms;
  t.total = 300ms;
  // The vendor reads the request and never answers.
  auto out = run({"", "", 10'000ms}, 64 << 20, nullptr, t);
  EXPECT_EQ(out.started, upstream_failure::total_timeout);
  EXPECT_LT(out.took, 1000ms);
}

asio::awaitable<void> fetch_after(std::chrono::milliseconds delay, upstream_pool& pool, origin o, upstream_timeouts t,
                                  outcome* out) {
  asio::steady_timer pause(co_await asio::this_coro::executor, delay);
  co_await pause.async_wait(use_tuple);
  co_await fetch(pool, std::move(o), t, nullptr, 1 << 20, out);
}

// The pool times every connection's step with one timer, set for the
// earliest expiry: a call with a short timeout that starts while another
// waits on a long one must still give up on time.
TEST(upstream_call, a_shorter_timeout_started_later_still_fires_on_time) {
  asio::io_context ioc;
  tcp::acceptor slow(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::acceptor quick(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  upstream_pool pool(ioc);
  // Both vendors read the request and say nothing.
  asio::co_spawn(ioc, vendor(slow, {"", "", 10'000ms}), asio::detached);
  asio::co_spawn(ioc, vendor(quick, {"", "", 10'000ms}), asio::detached);
  upstream_timeouts long_wait;
  long_wait.first_byte = 5000ms;
  upstream_timeouts short_wait;
  short_wait.first_byte = 200ms;
  outcome waiting;
  outcome timed;
  asio::co_spawn(ioc,
                 fetch(pool, origin::make("127.0.0.1", slow.local_endpoint().port(), false), long_wait, nullptr,
                       1 << 20, &waiting),
                 asio::detached);
  asio::co_spawn(
      ioc, fetch_after(50ms, pool, origin::make("127.0.0.1", quick.local_endpoint().port(), false), short_wait, &timed),
      [&](std::exception_ptr) {
        slow.close();
        quick.close();
        ioc.stop();
      });
  ioc.run_for(10s);
  EXPECT_EQ(timed.started, upstream_failure::first_byte_timeout);
  EXPECT_GE(timed.took, 190ms);
  EXPECT_LT(timed.took, 1000ms);
  EXPECT_EQ(waiting.started, upstream_failure::cancelled) << "the long wait was still on";
}

char pattern_at(std::size_t i) { return static_cast<char>('a' + (i * 7 + i / 4096) % 26); }

// Reads a request with a body only after a pause, then answers "whole" when
// the body is the pattern, byte for byte, and "broken" otherwise.
asio::awaitable<void> slow_reading_vendor(tcp::acceptor& acceptor, std::size_t body_size) {
  auto [aec, sock] = co_await acceptor.async_accept(use_tuple);
  if (aec) co_return;
  asio::steady_timer pause(acceptor.get_executor(), 200ms);
  co_await pause.async_wait(use_tuple);
  std::string got;
  std::vector<char> buf(64 * 1024);
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos || got.size() < head_end + 4 + body_size) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_tuple);
    if (ec) co_return;
    got.append(buf.data(), n);
    if (head_end == std::string::npos) head_end = got.find("\r\n\r\n");
  }
  bool whole = got.size() == head_end + 4 + body_size;
  for (std::size_t i = 0; whole && i < body_size; ++i) whole = got[head_end + 4 + i] == pattern_at(i);
  const std::string answer = whole ? "whole" : "broken";
  co_await asio::async_write(sock, asio::buffer(with_length(answer) + answer), use_tuple);
}

asio::awaitable<void> send_body(upstream_pool& pool, origin o, std::string body, outcome* out) {
  upstream_call call(pool, o, {});
  const std::string head =
      "POST / HTTP/1.1\r\nhost: vendor\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n";
  out->started = co_await call.start(head, body);
  if (out->started == upstream_failure::none) out->read = co_await call.read_all(out->body, 1 << 20);
}

// A request the socket cannot take at once (the vendor reads it late)
// arrives whole and in order.
TEST(upstream_call, a_request_the_socket_cannot_take_at_once_arrives_whole) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  upstream_pool pool(ioc);
  std::string body(16 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = pattern_at(i);
  const std::size_t size = body.size();
  outcome out;
  asio::co_spawn(ioc, slow_reading_vendor(acceptor, size), asio::detached);
  asio::co_spawn(
      ioc, send_body(pool, origin::make("127.0.0.1", acceptor.local_endpoint().port(), false), std::move(body), &out),
      [&](std::exception_ptr) { ioc.stop(); });
  ioc.run_for(20s);
  ASSERT_EQ(out.started, upstream_failure::none);
  EXPECT_EQ(out.body, "whole");
}

// ---------------------------------------------------------------- retry safety
//
// For each way an exchange can fail, what the call records (was the request
// written whole, did any response byte arrive, was the connection reused)
// and whether another deployment may be tried without charging twice.

// A stream's events that arrive in one read come back from one read_some,
// every chunk of them, so the relay writes them to the client at once (not
// one write per chunk), and without waiting for chunks still to come.
TEST(upstream_call, read_some_returns_every_chunk_that_arrived_together) {
  std::string body, expected;
  for (int i = 0; i < 20; ++i) {
    const std::string event = "data: {\"n\":" + std::to_string(i) + "}\n\n";
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", event.size());
    body += size_line + event + "\r\n";
    expected += event;
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  upstream_pool pool(ioc);
  const auto o = origin::make("127.0.0.1", acceptor.local_endpoint().port(), false);
  // The stream stays open (no last chunk; a byte of it only after 5 s).
  asio::co_spawn(ioc, vendor(acceptor, {k_chunked_head, body, 5000ms}), asio::detached);
  std::string got;
  upstream_failure read = upstream_failure::cancelled;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        upstream_call call(pool, o, {});
        if (co_await call.start("GET / HTTP/1.1\r\nhost: vendor\r\n\r\n", "") != upstream_failure::none) co_return;
        // The head and the events may come in separate reads: read until
        // the first event is here, then expect the rest with it.
        while (got.empty()) {
          auto [f, n] = co_await call.read_some(got);
          read = f;
          if (f != upstream_failure::none) co_return;
        }
      },
      [&](std::exception_ptr) {
        acceptor.close();
        ioc.stop();
      });
  ioc.run_for(3s);
  EXPECT_EQ(read, upstream_failure::none);
  EXPECT_EQ(got, expected);
}

TEST(upstream_retry, only_failures_before_the_vendor_could_have_acted_are_retried) {
  const exchange_progress fresh_unsent{.reused = false, .request_sent = false, .response_started = false};
  const exchange_progress fresh_sent{.reused = false, .request_sent = true, .response_started = false};
  const exchange_progress reused_sent{.reused = true, .request_sent = true, .response_started = false};
  const exchange_progress answering{.reused = false, .request_sent = true, .response_started = true};
  const exchange_progress reused_answering{.reused = true, .request_sent = true, .response_started = true};

  for (auto f : {upstream_failure::connect, upstream_failure::tls, upstream_failure::connect_timeout})
    EXPECT_TRUE(is_retryable(f, {})) << describe(f);
  EXPECT_TRUE(is_retryable(upstream_failure::first_byte_timeout, fresh_sent));
  EXPECT_TRUE(is_retryable(upstream_failure::reset, fresh_unsent));
  EXPECT_TRUE(is_retryable(upstream_failure::reset, reused_sent));
  EXPECT_FALSE(is_retryable(upstream_failure::reset, fresh_sent));
  for (auto f : {upstream_failure::reset, upstream_failure::first_byte_timeout, upstream_failure::idle_timeout}) {
    EXPECT_FALSE(is_retryable(f, answering)) << describe(f);
    EXPECT_FALSE(is_retryable(f, reused_answering)) << describe(f);
  }
  for (auto f : {upstream_failure::idle_timeout, upstream_failure::total_timeout, upstream_failure::protocol,
                 upstream_failure::too_large, upstream_failure::over_budget, upstream_failure::cancelled})
    EXPECT_FALSE(is_retryable(f, fresh_unsent)) << describe(f);
}

// What the vendor does with one request on a connection.
enum class act {
  answer,            // 200 with a small body, keep-alive
  close_after_read,  // reads the whole request, then closes without a byte
  partial_head,      // half a status line, then closes
  partial_body,      // the head and half the declared body, then closes
  silent,            // reads the request and never answers
  reset_unread,      // reads nothing, then closes (unread bytes make it a reset)
};

struct vendor_log {
  int connections = 0;
  int requests = 0;  // read whole by the vendor
};

asio::awaitable<bool> read_request(tcp::socket& sock, std::string& pending) {
  char buf[16 * 1024];
  for (;;) {
    auto end = pending.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      if (auto cl = pending.find("content-length: "); cl != std::string::npos && cl < end)
        length = std::stoul(pending.substr(cl + 16));
      if (pending.size() >= end + 4 + length) {
        pending.erase(0, end + 4 + length);
        co_return true;
      }
    }
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_tuple);
    if (ec) co_return false;
    pending.append(buf, n);
  }
}

asio::awaitable<void> serve_connection(tcp::socket sock, std::vector<act> acts, vendor_log* log) {
  std::string pending;
  asio::steady_timer timer(sock.get_executor());
  for (act a : acts) {
    if (a == act::reset_unread) {
      timer.expires_after(200ms);
      co_await timer.async_wait(use_tuple);
      co_return;  // closing with unread bytes sends a reset
    }
    const bool got = co_await read_request(sock, pending);
    if (!got) co_return;
    ++log->requests;
    std::string_view out;
    switch (a) {
      case act::answer:
        out = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        break;
      case act::partial_head:
        out = "HTTP/1.1 200 OK\r\ncontent-le";
        break;
      case act::partial_body:
        out = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345";
        break;
      case act::silent:
        timer.expires_after(10s);
        co_await timer.async_wait(use_tuple);
        co_return;
      default:
        co_return;  // close_after_read
    }
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(out.data(), out.size()), use_tuple);
    if (ec || a != act::answer) co_return;
  }
  // Every act done: keep the connection until the client closes it.
  char probe;
  co_await sock.async_read_some(asio::buffer(&probe, 1), use_tuple);
}

// Connection i is served by connections[i]; later ones are refused.
asio::awaitable<void> scripted_vendor(tcp::acceptor& acceptor, std::vector<std::vector<act>> connections,
                                      vendor_log* log) {
  for (auto& acts : connections) {
    auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    ++log->connections;
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(sock), std::move(acts), log), asio::detached);
  }
}

struct call_result {
  upstream_failure failure = upstream_failure::cancelled;  // start()'s, or read_all()'s after it
  exchange_progress progress;
  std::string body;
};

// Makes the calls one after the other on one pool, each with `body`.
std::vector<call_result> calls(std::vector<std::vector<act>> connections, int n, std::string body = "{}",
                               upstream_timeouts t = {}, vendor_log* log_out = nullptr) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  upstream_pool pool(ioc);
  const auto o = origin::make("127.0.0.1", acceptor.local_endpoint().port(), false);
  vendor_log log;
  std::vector<call_result> results;
  asio::co_spawn(ioc, scripted_vendor(acceptor, std::move(connections), &log), asio::detached);
  auto client = [&]() -> asio::awaitable<void> {
    const std::string head =
        "POST / HTTP/1.1\r\nhost: vendor\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n";
    for (int i = 0; i < n; ++i) {
      upstream_call call(pool, o, t);
      call_result r;
      r.failure = co_await call.start(head, body);
      if (r.failure == upstream_failure::none) r.failure = co_await call.read_all(r.body, 1 << 20);
      r.progress = call.progress();
      results.push_back(std::move(r));
    }
  };
  std::exception_ptr failed;
  asio::co_spawn(ioc, client(), [&](std::exception_ptr e) {
    failed = e;
    acceptor.close();
    ioc.stop();  // a silent vendor may still be waiting
  });
  ioc.run_for(10s);
  if (failed) std::rethrow_exception(failed);
  if (log_out) *log_out = log;
  return results;
}

TEST(upstream_retry, a_fresh_connection_cut_after_the_whole_request_is_not_retried) {
  vendor_log log;
  auto r = calls({{act::close_after_read}}, 1, "{}", {}, &log);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failure, upstream_failure::reset);
  EXPECT_FALSE(r[0].progress.reused);
  EXPECT_TRUE(r[0].progress.request_sent);
  EXPECT_FALSE(r[0].progress.response_started);
  EXPECT_FALSE(is_retryable(r[0].failure, r[0].progress));
  EXPECT_EQ(log.requests, 1);
}

TEST(upstream_retry, a_request_cut_before_it_was_written_whole_is_retried) {
  // Larger than loopback's socket buffers, so the write is still going when
  // the vendor resets the connection.
  const std::string big(32 << 20, 'x');
  auto r = calls({{act::reset_unread}}, 1, big);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failure, upstream_failure::reset);
  EXPECT_FALSE(r[0].progress.request_sent);
  EXPECT_FALSE(r[0].progress.response_started);
  EXPECT_TRUE(is_retryable(r[0].failure, r[0].progress));
}

TEST(upstream_retry, a_connection_cut_inside_the_response_head_is_not_retried) {
  auto r = calls({{act::partial_head}}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failure, upstream_failure::reset);
  EXPECT_TRUE(r[0].progress.request_sent);
  EXPECT_TRUE(r[0].progress.response_started);
  EXPECT_FALSE(is_retryable(r[0].failure, r[0].progress));
}

TEST(upstream_retry, a_connection_cut_inside_the_body_is_not_retried) {
  auto r = calls({{act::partial_body}}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failure, upstream_failure::reset);
  EXPECT_EQ(r[0].body, "12345");
  EXPECT_TRUE(r[0].progress.response_started);
  EXPECT_FALSE(is_retryable(r[0].failure, r[0].progress));
}

TEST(upstream_retry, a_timeout_before_the_first_byte_is_retried) {
  upstream_timeouts t;
  t.first_byte = 200ms;
  auto r = calls({{act::silent}}, 1, "{}", t);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failure, upstream_failure::first_byte_timeout);
  EXPECT_TRUE(r[0].progress.request_sent);
  EXPECT_FALSE(r[0].progress.response_started);
  EXPECT_TRUE(is_retryable(r[0].failure, r[0].progress));
}

TEST(upstream_retry, a_reused_connection_closed_before_any_answer_is_sent_again_on_a_fresh_one) {
  vendor_log log;
  auto r = calls({{act::answer, act::close_after_read}, {act::answer}}, 2, "{}", {}, &log);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].failure, upstream_failure::none);
  EXPECT_EQ(r[1].failure, upstream_failure::none);
  EXPECT_EQ(r[1].body, "ok");
  EXPECT_FALSE(r[1].progress.reused);  // served by the fresh connection
  EXPECT_EQ(log.connections, 2);
  EXPECT_EQ(log.requests, 3);
}

TEST(upstream_retry, a_reused_connection_cut_inside_the_answer_is_not_sent_again) {
  vendor_log log;
  auto r = calls({{act::answer, act::partial_body}, {act::answer}}, 2, "{}", {}, &log);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].failure, upstream_failure::none);
  EXPECT_EQ(r[1].failure, upstream_failure::reset);
  EXPECT_TRUE(r[1].progress.reused);
  EXPECT_TRUE(r[1].progress.response_started);
  EXPECT_FALSE(is_retryable(r[1].failure, r[1].progress));
  EXPECT_EQ(log.connections, 1);
  EXPECT_EQ(log.requests, 2);
}

TEST(upstream_retry, a_reused_connection_cut_inside_the_response_head_is_not_sent_again) {
  vendor_log log;
  auto r = calls({{act::answer, act::partial_head}, {act::answer}}, 2, "{}", {}, &log);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].failure, upstream_failure::reset);
  EXPECT_TRUE(r[1].progress.reused);
  EXPECT_TRUE(r[1].progress.response_started);
  EXPECT_EQ(log.connections, 1);  // not sent again on a fresh connection
}

}  // namespace
}  // namespace llmgw::http
