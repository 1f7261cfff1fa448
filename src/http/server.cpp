// The HTTP/1.1 server: accept loop and one coroutine per connection.
//
// Hot-path rules: the read buffer, the body string and the header scratch
// buffer live in the connection and are reused for every request on it; the
// response header is written by hand into that scratch buffer and sent with
// the body in one gather write, so no Beast serializer runs per response.
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <charconv>
#include <cstdio>
#include <list>
#include <optional>

#include "core/request_id.hpp"
#include "http/status_text.hpp"

namespace llmgw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// ---------------------------------------------------------------- request

std::string_view request::path() const {
  auto q = target_.find('?');
  return q == std::string_view::npos ? target_ : target_.substr(0, q);
}

std::string_view request::header(std::string_view name) const {
  if (!fields_) return {};
  const auto& f = *static_cast<const bhttp::fields*>(fields_);
  auto it = f.find(name);
  return it == f.end() ? std::string_view{} : std::string_view(it->value());
}

void request::visit_headers(header_visitor v, void* ctx) const {
  if (!fields_) return;
  for (const auto& f : *static_cast<const bhttp::fields*>(fields_)) v(ctx, f.name_string(), f.value());
}

// ---------------------------------------------------------------- session

struct server_shared;

// Everything one connection owns; outlives every request on it.
class session_io {
 public:
  session_io(tcp::socket socket, server_shared& shared) : stream(std::move(socket)), shared(shared) {}

  beast::tcp_stream stream;
  server_shared& shared;
  beast::flat_buffer buffer;  // read buffer, reused across requests
  std::string body;           // request body storage, reused
  std::string head;           // response header scratch, reused
  std::string remote;
  bool keep_alive = true;
  bool closed = false;
  bool idle = false;  // waiting for the next request (drain may close it)
  std::list<session_io*>::iterator self;
};

struct server_shared {
  asio::io_context& ioc;
  server_options options;
  handler on_request;
  error_renderer render_error;
  std::optional<tcp::acceptor> acceptor;
  std::list<session_io*> sessions;
  bool draining = false;
};

namespace {

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_status_line(std::string& out, int status) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(status_text(status));
  out.append("\r\n");
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_common_headers(session_io& io, std::string_view content_type, header_list extra) {
  if (!content_type.empty()) append_header(io.head, "content-type", content_type);
  for (const auto& h : extra) append_header(io.head, h.name, h.value);
  if (!io.keep_alive || io.shared.draining) {
    io.keep_alive = false;
    append_header(io.head, "connection", "close");
  }
}

void close_socket(session_io& io, bool reset) {
  if (io.closed) return;
  io.closed = true;
  boost::system::error_code ec;
  auto& sock = io.stream.socket();
  if (reset) sock.set_option(asio::socket_base::linger(true, 0), ec);
  sock.close(ec);
}

// Writes everything or closes the connection; a client that stops reading
// for idle_timeout is given up on. False when the client is gone.
template <class Buffers>
asio::awaitable<bool> write_or_close(session_io& io, const Buffers& buffers) {
  io.stream.expires_after(io.shared.options.idle_timeout);
  auto [ec, n] = co_await asio::async_write(io.stream, buffers, use_tuple);
  if (ec) close_socket(io, false);
  co_return !ec;
}

// The status line and the headers every response has.
void begin_head(session_io& io, int status, std::string_view content_type, header_list extra) {
  io.head.clear();
  append_status_line(io.head, status);
  append_common_headers(io, content_type, extra);
}

}  // namespace

// ---------------------------------------------------------------- response_writer

asio::awaitable<bool> response_writer::send(int status, std::string_view content_type, std::string_view body,
                                            header_list extra) {
  if (started_ || io_.closed) co_return false;
  started_ = true;
  status_ = status;
  begin_head(io_, status, content_type, extra);
  auto& head = io_.head;
  head.append("content-length: ");
  append_number(head, body.size());
  head.append("\r\n\r\n");
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body.data(), body.size())};
  finished_ = true;
  co_return co_await write_or_close(io_, bufs);
}

asio::awaitable<bool> response_writer::begin_stream(int status, std::string_view content_type, header_list extra) {
  if (started_ || io_.closed) co_return false;
  started_ = true;
  status_ = status;
  begin_head(io_, status, content_type, extra);
  io_.head.append("cache-control: no-cache\r\nx-accel-buffering: no\r\ntransfer-encoding: chunked\r\n\r\n");
  co_return co_await write_or_close(io_, asio::buffer(io_.head));
}

asio::awaitable<bool> response_writer::write_chunk(std::string_view data) {
  if (!started_ || finished_ || io_.closed) co_return false;
  if (data.empty()) co_return true;  // an empty chunk would end the stream
  char size_line[20];
  auto r = std::to_chars(size_line, size_line + 16, data.size(), 16);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  std::array<asio::const_buffer, 3> bufs{asio::buffer(size_line, static_cast<std::size_t>(r.ptr - size_line)),
                                         asio::buffer(data.data(), data.size()), asio::buffer("\r\n", 2)};
  co_return co_await write_or_close(io_, bufs);
}

asio::awaitable<bool> response_writer::end_stream() {
  if (!started_ || finished_ || io_.closed) co_return false;
  finished_ = true;
  co_return co_await write_or_close(io_, asio::buffer("0\r\n\r\n", 5));
}

asio::awaitable<bool> response_writer::wait_client_gone() {
  auto& sock = io_.stream.socket();
  for (;;) {
    if (io_.closed) co_return true;
    auto [ec] = co_await sock.async_wait(tcp::socket::wait_read, use_tuple);
    if (ec == asio::error::operation_aborted) co_return false;  // cancelled: the work finished first
    if (ec) co_return true;
    // Readable: either the peer closed (EOF) or it sent the next request
    // early. Peek to tell which, without consuming anything.
    char probe;
    boost::system::error_code pec;
    sock.non_blocking(true, pec);
    auto n = sock.receive(asio::buffer(&probe, 1), tcp::socket::message_peek, pec);
    if (pec == asio::error::would_block) continue;
    if (pec || n == 0) co_return true;
    // Pipelined bytes are waiting: we cannot watch for a close any more
    // without consuming them, so stop watching (the stream goes on).
    asio::steady_timer forever(sock.get_executor(), asio::steady_timer::time_point::max());
    co_await forever.async_wait(use_tuple);
    co_return false;
  }
}

void response_writer::abort() {
  finished_ = true;
  close_socket(io_, true);
}

// ---------------------------------------------------------------- server

struct server::impl {
  server_shared shared;

  impl(asio::io_context& ioc, server_options o, handler h, error_renderer r)
      : shared{ioc, std::move(o), std::move(h), std::move(r), std::nullopt, {}, false} {}
};

namespace {

std::string default_error_body(int status, std::string_view message) {
  std::string out = "{\"error\":{\"message\":\"";
  out.append(message);  // fixed ASCII messages from this file only
  out.append("\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
  (void)status;
  return out;
}

// Answers a protocol-level failure and marks the connection for closing.
asio::awaitable<void> reject(session_io& io, int status, std::string message) {
  io.keep_alive = false;
  std::string body = io.shared.render_error ? io.shared.render_error(status, message)
                                            : default_error_body(status, message);
  // Every response carries an id, these too, so a client can quote it.
  const auto id = request_id::generate();
  const std::array<header_field, 1> extra{{{"x-request-id", id.view()}}};
  response_writer w(io);
  co_await w.send(status, "application/json", body, extra);
}

using request_parser_t = bhttp::request_parser<bhttp::string_body>;

boost::system::error_code parse_buffered(beast::flat_buffer& buffer, request_parser_t& parser) {
  boost::system::error_code ec;
  parser.eager(true);
  while (!parser.is_done() && buffer.size() > 0) {
    const auto n = parser.put(buffer.data(), ec);
    buffer.consume(n);
    if (ec == bhttp::error::need_more) return {};
    if (ec || n == 0) break;
  }
  return ec;
}

asio::awaitable<void> do_session(session_io& io) {
  const auto& opt = io.shared.options;
  std::optional<request_parser_t> parser;

  while (!io.closed) {
    // Wait for the first byte of the next request under the idle timeout.
    if (io.buffer.size() == 0) {
      if (io.shared.draining) break;
      io.idle = true;
      io.stream.expires_after(opt.idle_timeout);
      auto [ec, n] = co_await io.stream.async_read_some(io.buffer.prepare(4096), use_tuple);
      io.idle = false;
      if (ec) break;
      io.buffer.commit(n);
    }

    // The whole request, headers and body, must arrive within read_timeout:
    // a client trickling bytes cannot hold the connection longer than that.
    io.body.clear();
    parser.emplace(std::piecewise_construct, std::make_tuple(std::move(io.body)));
    parser->header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
    parser->body_limit(opt.max_body_bytes);
    io.stream.expires_after(opt.read_timeout);

    // Most requests arrive whole in the first read: parse what is buffered
    // without I/O, and read more only when the parser asks for it.
    auto hec = parse_buffered(io.buffer, *parser);
    if (!hec && !parser->is_header_done()) {
      auto [ec, n] = co_await bhttp::async_read_header(io.stream, io.buffer, *parser, use_tuple);
      hec = ec;
    }
    if (!hec && !parser->is_done()) {
      // curl and others wait for "100 Continue" before sending a large body.
      auto expect = parser->get()[bhttp::field::expect];
      if (!expect.empty() && beast::iequals(expect, "100-continue")) {
        auto [wec, wn] = co_await asio::async_write(io.stream, asio::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25),
                                                    use_tuple);
        if (wec) break;
      }
      auto [bec, bn] = co_await bhttp::async_read(io.stream, io.buffer, *parser, use_tuple);
      hec = bec;
    }
    if (hec) {
      if (hec == bhttp::error::header_limit) {
        co_await reject(io, 431, "Request header fields exceed the limit of " + std::to_string(opt.max_header_bytes) + " bytes.");
      } else if (hec == bhttp::error::body_limit) {
        co_await reject(io, 413, "Request body exceeds the limit of " + std::to_string(opt.max_body_bytes) + " bytes.");
      } else if (hec == beast::error::timeout || hec == bhttp::error::end_of_stream ||
                 hec == asio::error::eof || hec == asio::error::connection_reset ||
                 hec == asio::error::operation_aborted) {
        // The peer went away or was too slow: nothing useful to answer.
      } else if (hec == bhttp::error::partial_message) {
      } else {
        co_await reject(io, 400, "Malformed HTTP request.");
      }
      break;
    }

    auto& msg = parser->get();
    io.keep_alive = msg.keep_alive();
    io.stream.expires_never();

    request req;
    req.method_ = msg.method_string();
    req.target_ = msg.target();
    req.body_ = &msg.body();
    req.remote_ = io.remote;
    req.fields_ = static_cast<const bhttp::fields*>(&msg.base());

    response_writer writer(io);
    try {
      co_await io.shared.on_request(req, writer);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"handler failed\",\"what\":\"%s\"}\n", e.what());
    }
    if (!writer.finished()) {
      if (writer.started()) {
        writer.abort();  // a half-written response cannot be finished cleanly
      } else {
        co_await reject(io, 500, "Internal error.");
      }
    }
    io.body = std::move(msg.body());
    if (!io.keep_alive) break;
  }

  if (!io.closed) {
    boost::system::error_code ec;
    io.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    close_socket(io, false);
  }
}

asio::awaitable<void> run_session(server_shared& shared, tcp::socket socket) {
  session_io io(std::move(socket), shared);
  boost::system::error_code ec;
  auto ep = io.stream.socket().remote_endpoint(ec);
  if (!ec) io.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  shared.sessions.push_front(&io);
  io.self = shared.sessions.begin();
  try {
    co_await do_session(io);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"session failed\",\"what\":\"%s\"}\n", e.what());
  }
  shared.sessions.erase(io.self);
}

asio::awaitable<void> do_accept(server_shared& shared) {
  auto& acceptor = *shared.acceptor;
  asio::steady_timer backoff(shared.ioc);
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(shared.ioc, run_session(shared, std::move(socket)), asio::detached);
  }
}

}  // namespace

server::server(asio::io_context& ioc, server_options options, handler h, error_renderer render,
               memory_budget* /*budget*/)
    : impl_(std::make_unique<impl>(ioc, std::move(options), std::move(h), std::move(render))) {}

server::~server() = default;

std::uint16_t server::listen() {
  auto& s = impl_->shared;
  tcp::endpoint ep(asio::ip::make_address(s.options.host), s.options.port);
  s.acceptor.emplace(s.ioc);
  s.acceptor->open(ep.protocol());
  s.acceptor->set_option(asio::socket_base::reuse_address(true));
  // Every worker has its own listener on the same port; the kernel spreads
  // new connections across them.
  using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  s.acceptor->set_option(reuse_port(true));
  s.acceptor->bind(ep);
  s.acceptor->listen(asio::socket_base::max_listen_connections);
  return s.acceptor->local_endpoint().port();
}

void server::start() {
  asio::co_spawn(impl_->shared.ioc, do_accept(impl_->shared), asio::detached);
}

void server::drain() {
  auto& s = impl_->shared;
  s.draining = true;
  if (s.acceptor) {
    boost::system::error_code ec;
    s.acceptor->close(ec);
  }
  // Idle keep-alive connections are closed now; busy ones close after their
  // current response (it carries "connection: close").
  for (auto* io : s.sessions) {
    if (io->idle) close_socket(*io, false);
  }
}

std::size_t server::open_connections() const { return impl_->shared.sessions.size(); }

}  // namespace llmgw::http
