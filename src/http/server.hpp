#pragma once
// A generic HTTP/1.1 server: one instance per worker io_context, each with
// its own SO_REUSEPORT listener. It parses requests, enforces limits and
// timeouts, and hands each request to a handler that never sees a socket:
// the handler answers through a response_writer.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "http/header_name.hpp"
#include "http/request_parser.hpp"

namespace llmgw {
class memory_budget;
}

namespace llmgw::http {

struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  std::size_t max_header_bytes = 16 * 1024;        // request line + fields (+ chunked trailers); larger → 431
  std::size_t max_body_bytes = 10 * 1024 * 1024;   // larger → 413
  std::chrono::milliseconds read_timeout{30'000};  // whole request, headers and body; then 408
  std::chrono::milliseconds idle_timeout{75'000};  // keep-alive wait for the next request
  // A keep-alive connection idle this long gives back its buffers (read
  // buffer, body, response head scratch); it grows them again if it gets busy.
  std::chrono::milliseconds idle_release_after{2'000};
  std::size_t max_buffer_bytes = 256 * 1024 * 1024;  // per worker: bodies held at once
  // Client connections of the whole process (all workers share one count);
  // 0: derived from the descriptor limit by the worker pool.
  std::size_t max_connections = 0;
  std::shared_ptr<std::atomic<std::size_t>> connection_count;  // shared by the workers; made when null
  // Join the listeners already on this port (SO_REUSEPORT). Off, listen()
  // first makes sure no socket holds the port, so a second process fails
  // with "address already in use" instead of silently taking a share of the
  // first one's connections. The worker pool sets it for every worker after
  // the first, which must share the port.
  bool share_port = false;
};

using header_list = std::span<const header_field>;  // a response's extra headers

class session_io;  // the server's per-connection state (defined in server.cpp)

// What the handler sees of one request. Views stay valid until the handler returns.
class request {
 public:
  std::string_view method() const { return method_; }
  std::string_view target() const { return target_; }
  std::string_view path() const;                        // target without the query string
  int version_minor() const { return version_minor_; }  // HTTP/1.<minor>
  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  // Calls f(name, value) for every header, in arrival order.
  template <class F>
  void for_each_header(F&& f) const {
    for (const auto& h : headers_) f(h.name, h.value);
  }
  // Reads the body (once; later calls return at once). The server has not
  // read it when the handler starts, so a handler can refuse a request on
  // its headers alone (authentication) before any body byte is buffered; a
  // client that sent `Expect: 100-continue` gets its 100 only now. False
  // when the body could not be read: the server has then answered (400,
  // 408, 413, 503) or the client is gone, and the handler must just return.
  boost::asio::awaitable<bool> read_body();
  bool body_read() const;
  // The body, after read_body(). Handlers may move from it.
  std::string& body();
  const std::string& body() const;
  // Remote peer, for logs.
  std::string_view remote() const;

 private:
  friend class session_io;
  session_io* io_ = nullptr;
  std::string_view method_;
  std::string_view target_;
  int version_minor_ = 1;
  std::span<const field> headers_;
};

// Why a request is asked to stop before it is done.
enum class cancel_reason : std::uint8_t {
  none,
  client_gone,  // the client closed or reset its connection
  shutdown,     // the server is stopping and the drain time is over
};

// How a handler answers. A handler either calls send() once, or
// begin_stream() then write_chunk()... then end_stream(). Every call returns
// false when the client is gone; the handler should then stop its work.
// Header values are written only when they hold no control character; a
// value that does is left out (and logged) rather than split the response.
class response_writer {
 public:
  explicit response_writer(session_io& io) : io_(io) {}

  boost::asio::awaitable<bool> send(int status, std::string_view content_type, std::string_view body,
                                    header_list extra = {});
  // With `defer_head` the head is written with the stream's first bytes (its
  // first chunk, or its end), in one write: a relay that already holds them
  // (the gateway holds a vendor's head back until its first content) sends
  // one segment, not two. Without it the head goes out at once (a stream
  // whose first bytes are still to come).
  boost::asio::awaitable<bool> begin_stream(int status, std::string_view content_type, header_list extra = {},
                                            bool defer_head = false);
  // Writes one chunk of a stream and flushes it to the socket.
  boost::asio::awaitable<bool> write_chunk(std::string_view data);
  boost::asio::awaitable<bool> end_stream();
  // The last chunk and the stream's end in one write (`data` may be empty).
  boost::asio::awaitable<bool> end_stream_with(std::string_view data);
  // Completes when the client closes its side. Returns at once with true if
  // already gone. (The mock vendor's sleeps; the gateway uses on_cancel.)
  boost::asio::awaitable<bool> wait_client_gone();
  // Calls `f` (once, on this worker's thread) when the request must stop
  // early: the client hung up, or the server's drain time ran out. The
  // client is watched through the connection's own socket while `f` is set,
  // with no timer and no extra coroutine. Replaces any earlier callback;
  // clear_cancel() (or the end of the request) removes it.
  void on_cancel(std::function<void(cancel_reason)> f);
  void clear_cancel();
  cancel_reason cancelled() const;
  // Drops the connection without a proper end: used by the mock vendor to
  // emulate a reset and by the gateway when a stream fails mid-way.
  void abort();

  // The id this request's responses carry (x-request-id): the server's own
  // answers to the request (a body it cannot read, a handler that throws)
  // then quote the same id as the handler's log line. Copied.
  void use_request_id(std::string_view id);

  // Calls `f(arg)` once, just before the answer's last bytes are written
  // (by send() or the end of a stream), whichever path the answer took: the
  // gateway settles what a request holds there, so a client that sends its
  // next request the moment it has the answer finds its slot free.
  // nullptr removes it (before `arg` goes away).
  void before_last_bytes(void (*f)(void*), void* arg) {
    last_bytes_hook_ = f;
    last_bytes_arg_ = arg;
  }

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  int status() const { return status_; }
  // Body bytes handed to the connection so far (chunk framing not counted).
  std::uint64_t body_bytes() const { return body_bytes_; }

 private:
  session_io& io_;
  // Writes a stream's bytes (chunk framing and the end as asked), after the
  // head when it is still pending.
  boost::asio::awaitable<bool> write_stream(std::string_view data, bool end);
  void last_bytes_due() {
    if (last_bytes_hook_ == nullptr) return;
    const auto f = last_bytes_hook_;
    last_bytes_hook_ = nullptr;
    f(last_bytes_arg_);
  }

  bool started_ = false;
  bool finished_ = false;
  bool head_pending_ = false;  // begin_stream deferred it: it leaves with the next bytes
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  void (*last_bytes_hook_)(void*) = nullptr;
  void* last_bytes_arg_ = nullptr;
};

using handler = std::function<boost::asio::awaitable<void>(request&, response_writer&)>;

// A failure the server answers itself (400, 408, 413, 431, 500, 501, 503, 505).
struct protocol_error {
  int status = 0;
  std::string_view message;
  // The request's path once its request line was read, so the answer can be
  // in the API the client called; empty before (a malformed request line).
  std::string_view path;
};

// Renders the body of a protocol_error; lets the gateway answer in the
// format of the API the client called.
using error_renderer = std::function<std::string(const protocol_error&)>;

// A request the server answered itself before any handler saw it (a
// malformed or oversized head, a head that came too late, an unknown
// method): told to the application once, after the answer, so that every
// request that reached the server leaves a record.
struct rejected_request {
  protocol_error error;
  std::string_view method;                      // empty when the request line was not read
  std::string_view request_id;                  // the x-request-id the answer carried
  std::chrono::steady_clock::time_point began;  // the request's first byte
  std::uint64_t body_bytes_out = 0;
};
using rejection_observer = std::function<void(const rejected_request&)>;

class server {
 public:
  // `budget` (optional, owned by the caller) bounds the request bodies this
  // server holds at once; the handler may charge its own buffers to it too.
  server(boost::asio::io_context& ioc, server_options options, handler h, error_renderer render = {},
         memory_budget* budget = nullptr, rejection_observer on_rejected = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens (throws on failure, e.g. "address already in use"
  // unless options.share_port); returns the bound port (useful with port 0).
  std::uint16_t listen();
  // Starts accepting on the io_context.
  void start();
  // Stops accepting; idle connections close now, busy ones after their
  // current response.
  void drain();
  // Past the drain time: asks every request still running to stop
  // (cancel_reason::shutdown) so it can end its response properly.
  void stop_in_flight();
  // Last step of a shutdown: cuts every connection still open, so every
  // request coroutine ends on this worker's thread (and none is left to be
  // destroyed with the io_context after the handler's state is gone).
  void close_all();
  std::size_t open_connections() const;
  // Bytes of buffers the connections hold (read buffers, bodies, response
  // head scratch), for tests and diagnostics.
  std::size_t held_buffer_bytes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace llmgw::http
