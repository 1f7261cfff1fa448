#pragma once
// A generic HTTP/1.1 server: one instance per worker io_context, each with
// its own SO_REUSEPORT listener. It parses requests, enforces limits and
// timeouts, and hands each request to a handler that never sees a socket:
// the handler answers through a response_writer.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

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

namespace llmgw {
class memory_budget;
}

namespace llmgw::http {

struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  std::size_t max_header_bytes = 16 * 1024;        // larger → 431
  std::size_t max_body_bytes = 10 * 1024 * 1024;   // larger → 413
  std::chrono::milliseconds read_timeout{30'000};  // whole request, headers and body
  std::chrono::milliseconds idle_timeout{75'000};  // keep-alive wait for the next request
  std::size_t max_buffer_bytes = 256 * 1024 * 1024;  // per worker: bodies held at once
  std::size_t max_connections = 0;                    // per process; 0: derived from the descriptor limit
};

struct header_field {
  std::string_view name;
  std::string_view value;
};
using header_list = std::span<const header_field>;

// What the handler sees of one request. Views stay valid until the handler returns.
class request {
 public:
  std::string_view method() const { return method_; }
  std::string_view target() const { return target_; }
  std::string_view path() const;  // target without the query string
  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  // Calls f(name, value) for every header, in arrival order.
  template <class F>
  void for_each_header(F&& f) const {
    visit_headers([](void* ctx, std::string_view n, std::string_view v) { (*static_cast<std::remove_reference_t<F>*>(ctx))(n, v); },
                  const_cast<void*>(static_cast<const void*>(&f)));
  }
  // The body, read once. Handlers may move from it.
  std::string& body() { return *body_; }
  const std::string& body() const { return *body_; }
  // Remote peer, for logs.
  std::string_view remote() const { return remote_; }

  // Filled by the server.
  std::string_view method_;
  std::string_view target_;
  std::string* body_ = nullptr;
  std::string_view remote_;
  const void* fields_ = nullptr;  // the parser's header fields (Beast type kept out of this header)

 private:
  using header_visitor = void (*)(void* ctx, std::string_view name, std::string_view value);
  void visit_headers(header_visitor v, void* ctx) const;
};

class session_io;  // the server's per-connection state (defined in server.cpp)

// How a handler answers. A handler either calls send() once, or
// begin_stream() then write_chunk()... then end_stream(). Every call returns
// false when the client is gone; the handler should then stop its work.
class response_writer {
 public:
  explicit response_writer(session_io& io) : io_(io) {}

  boost::asio::awaitable<bool> send(int status, std::string_view content_type, std::string_view body,
                                    header_list extra = {});
  boost::asio::awaitable<bool> begin_stream(int status, std::string_view content_type, header_list extra = {});
  // Writes one chunk of a stream and flushes it to the socket.
  boost::asio::awaitable<bool> write_chunk(std::string_view data);
  boost::asio::awaitable<bool> end_stream();
  // Completes when the client closes its side (used to cancel upstream work
  // while a stream is idle). Returns at once with true if already gone.
  boost::asio::awaitable<bool> wait_client_gone();
  // Drops the connection without a proper end: used by the mock vendor to
  // emulate a reset and by the gateway when a stream fails mid-way.
  void abort();

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  int status() const { return status_; }

 private:
  session_io& io_;
  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
};

using handler = std::function<boost::asio::awaitable<void>(request&, response_writer&)>;

// Answers protocol-level failures (431, 413, 408, 400) the server detects
// before a handler runs; lets the gateway render them in its API's format.
using error_renderer = std::function<std::string(int status, std::string_view message)>;

class server {
 public:
  // `budget` (optional, owned by the caller) bounds the request bodies this
  // server holds at once; the handler may charge its own buffers to it too.
  server(boost::asio::io_context& ioc, server_options options, handler h, error_renderer render = {},
         memory_budget* budget = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens (throws on failure); returns the bound port (useful with port 0).
  std::uint16_t listen();
  // Starts accepting on the io_context.
  void start();
  // Stops accepting; open connections finish their current request and close.
  void drain();
  std::size_t open_connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace llmgw::http
