#pragma once
// The upstream side: a per-worker pool of keep-alive connections per origin
// (plain TCP or TLS with certificate and host name verification) and one
// request/response exchange on a pooled connection. Knows nothing of LLMs.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "http/call_deadline.hpp"

namespace llmgw {
class budget_charge;
}

namespace llmgw::http {

struct origin {
  std::string host;
  std::uint16_t port = 443;
  bool tls = true;
  std::string key;  // "host:port" plus scheme, the pool's map key

  static origin make(std::string host, std::uint16_t port, bool tls);
};

struct upstream_timeouts {
  std::chrono::milliseconds connect{5'000};       // TCP connect + TLS handshake
  std::chrono::milliseconds first_byte{120'000};  // request written → response headers
  std::chrono::milliseconds idle{120'000};        // between two reads of the body
  std::chrono::milliseconds total{600'000};       // the whole call, from start() to the body's last byte
};

enum class upstream_failure {
  none,
  connect,  // refused, unreachable, DNS
  tls,      // handshake or verification failed
  connect_timeout,
  first_byte_timeout,
  idle_timeout,
  total_timeout,  // the call's deadline passed, however busy the upstream looked
  reset,          // the peer closed or reset mid-response
  protocol,       // not HTTP/1.1 we understand
  too_large,
  over_budget,  // buffering the body would pass the worker's memory budget
  cancelled,
};

std::string_view describe(upstream_failure f);

// How far the last exchange of a call got: whether the vendor may have
// received the request, and whether it had begun to answer.
struct exchange_progress {
  bool reused = false;            // on a keep-alive connection that had served an earlier request
  bool request_sent = false;      // head and body were written whole
  bool response_started = false;  // at least one byte of the response arrived
};

// True when another attempt elsewhere is worth it and cannot make the client
// pay twice: connect failures and timeouts before the first response byte;
// a reset before that byte only when the request may not have reached the
// vendor (not fully written, or on a reused connection the peer may have
// closed first). Once part of an answer has arrived the vendor has done,
// and billed, the work: never.
bool is_retryable(upstream_failure f, const exchange_progress& p);

// Where the time of a call went, in ms from start(): -1 for what did not happen.
struct call_timing {
  double connect_ms = -1;     // connected (TCP and TLS); 0 on a reused connection
  double first_byte_ms = -1;  // the response headers arrived
};

struct upstream_connection;

// One worker's connections. Not thread-safe: one pool per io_context.
class upstream_pool {
 public:
  explicit upstream_pool(boost::asio::io_context& ioc, std::size_t max_idle_per_origin = 256);
  ~upstream_pool();
  upstream_pool(const upstream_pool&) = delete;
  upstream_pool& operator=(const upstream_pool&) = delete;

  boost::asio::io_context& context() { return ioc_; }
  std::size_t idle_connections() const;
  // Bytes of read buffers the idle connections hold (tests, diagnostics).
  std::size_t idle_buffer_bytes() const;

 private:
  friend class upstream_call;
  std::unique_ptr<upstream_connection> take_idle(const origin& o);
  void put_idle(std::unique_ptr<upstream_connection> c);
  // Times the current step of c: at `at` its pending operations are
  // cancelled and fail as timeouts (so do any it starts after).
  void watch_until(upstream_connection& c, std::chrono::steady_clock::time_point at);
  void unwatch(upstream_connection& c);  // c's steps are over

  struct tls_context;
  struct watch;
  boost::asio::io_context& ioc_;
  std::size_t max_idle_;
  std::shared_ptr<watch> watch_;  // shared only so its timer's handler can tell it is gone
  std::unique_ptr<tls_context> tls_;
  std::unique_ptr<char[]> scratch_;  // where calls parse body bytes (one at a time: between two co_awaits)
  std::unordered_map<std::string, std::vector<std::unique_ptr<upstream_connection>>> idle_;
};

// One request and its response. The connection goes back to the pool when
// the response was read to its end and both sides allow keep-alive;
// otherwise it is closed when the call is destroyed.
class upstream_call {
 public:
  upstream_call(upstream_pool& pool, const origin& o, const upstream_timeouts& t);
  ~upstream_call();
  upstream_call(const upstream_call&) = delete;
  upstream_call& operator=(const upstream_call&) = delete;

  // Connects (or reuses an idle connection), writes head+body and reads the
  // response headers. A reused connection that turns out to be stale (reset
  // before any byte of a response) is replaced by a fresh one once,
  // transparently. The call's total deadline starts here.
  boost::asio::awaitable<upstream_failure> start(std::string_view head, std::string_view body);

  int status() const;
  // The first response header of that name (any case); empty when none.
  std::string_view header(std::string_view name) const;
  // Calls f(name, value) for every response header.
  template <class F>
  void for_each_header(F&& f) const {
    visit_headers([](void* ctx, std::string_view n,
                     std::string_view v) { (*static_cast<std::remove_reference_t<F>*>(ctx))(n, v); },
                  const_cast<void*>(static_cast<const void*>(&f)));
  }

  // Appends the next piece of the (de-chunked) body to out, at most `limit`
  // bytes (all that one read brought otherwise); returns how many bytes were
  // added, 0 at the end of the body.
  boost::asio::awaitable<std::pair<upstream_failure, std::size_t>> read_some(std::string& out,
                                                                             std::size_t limit = SIZE_MAX);
  // Reads the rest of the body into out (appending), at most limit bytes;
  // a declared length over the limit fails before any of the body is read.
  // With a charge, out's capacity is charged to its budget before out grows,
  // and out grows only as far as the body needs (never to twice the limit);
  // when the budget refuses, the call gives up with `over_budget` and the
  // connection is closed (so it is on too_large).
  boost::asio::awaitable<upstream_failure> read_all(std::string& out, std::size_t limit,
                                                    budget_charge* charge = nullptr);
  bool body_done() const;
  // What the last exchange got to (after start(), and after a failed read).
  const exchange_progress& progress() const { return progress_; }
  call_timing timing() const { return timing_; }

  // Closes the connection at once: pending reads fail with `cancelled`.
  // Safe to call from another coroutine on the same thread.
  void cancel();

 private:
  using header_visitor = void (*)(void* ctx, std::string_view name, std::string_view value);
  void visit_headers(header_visitor v, void* ctx) const;
  boost::asio::awaitable<upstream_failure> connect_fresh();
  boost::asio::awaitable<upstream_failure> exchange(std::string_view head, std::string_view body);
  // Times the next step: its own timeout or the call's deadline, whichever
  // comes first.
  void arm(upstream_connection& c, std::chrono::milliseconds step);
  upstream_failure timed_out(upstream_failure step_kind) const;
  // Closes the connection (the body is left unread) and returns f.
  upstream_failure give_up(upstream_failure f);

  upstream_pool& pool_;
  const origin& origin_;
  upstream_timeouts timeouts_;
  std::unique_ptr<upstream_connection> conn_;
  call_deadline deadline_;
  exchange_progress progress_;
  std::chrono::steady_clock::time_point started_{};
  call_timing timing_;
  bool armed_at_deadline_ = false;  // the current expiry is the deadline, not the step's own timeout
  bool cancelled_ = false;
};

}  // namespace llmgw::http
