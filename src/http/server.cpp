// The HTTP/1.1 server: accept loop and one coroutine per connection.
//
// Hot-path rules: the read buffer, the body string and the header scratch
// buffer live in the connection and are reused for every request on it; the
// response header is written by hand into that scratch buffer and sent with
// the body in one gather write, so no serializer runs per response.
//
// What a client cannot make it do: buffer more than the header limit before
// a head is complete, read a body before the handler asked for it (so
// requests are refused on their headers first), hold more than the worker's
// memory budget in bodies, keep a large buffer while idle, or open more
// connections than the process can pair with upstream connections.
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <malloc.h>
#include <sys/socket.h>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <list>
#include <optional>

#include "core/append_number.hpp"
#include "core/memory_budget.hpp"
#include "core/request_id.hpp"
#include "http/status_text.hpp"

namespace llmgw::http {

using namespace std::string_view_literals;

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

namespace {

// A body this small that the handler did not read is read and dropped to
// keep the connection; a larger one closes the connection instead.
constexpr std::size_t k_max_discard_bytes = 64 * 1024;
// Buffers larger than these go back to the allocator after a request, so an
// idle connection holds only a few KiB whatever its last request was.
constexpr std::size_t k_kept_read_buffer = 16 * 1024;
constexpr std::size_t k_kept_body = 16 * 1024;
constexpr std::size_t k_first_read = 4 * 1024;
// Connections idle for server_options::idle_release_after give back their
// buffers (read buffer, body, response head): a keep-alive connection that
// sends nothing holds only its socket and its session. The sweep that finds
// them runs at most this far apart.
constexpr auto k_sweep_every = std::chrono::milliseconds(1000);
// Freed idle buffers go back to the system once they add up to this much.
constexpr std::size_t k_trim_after_bytes = 1024 * 1024;
// A connection without a buffer reads its next request's first byte alone,
// then what else has come (at most this much) into the worker's scratch,
// and keeps a buffer just large enough for it.
constexpr std::size_t k_scratch = 16 * 1024;
// Room past a body's end for parsers that read ahead (simdjson wants 64
// bytes), so they need not copy a large body into a bigger buffer.
constexpr std::size_t k_body_slack = 64;
// Closing while the client may still be sending: read and drop what comes,
// this much and this long at most, so our last response is not lost to a reset.
// A client too slow for the read timeout gets less.
constexpr std::size_t k_linger_bytes = 64 * 1024 * 1024;
constexpr auto k_linger_time = std::chrono::milliseconds(2000);
constexpr auto k_linger_time_slow_client = std::chrono::milliseconds(300);

// An allocator Asio uses as it is (it recycles std::allocator's blocks
// through a per-thread cache, handing out a cached block that may be larger
// than asked, often one a response's write or an upstream read left): the
// wait of an idle connection, held for as long as it is idle, gets a block
// of its own size. Measured: 0.5 KB less per idle connection in RSS.
template <class T>
struct exact_allocator {
  using value_type = T;
  exact_allocator() = default;
  template <class U>
  exact_allocator(const exact_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
  friend bool operator==(const exact_allocator&, const exact_allocator&) { return true; }
};
auto use_tuple_exact() { return asio::bind_allocator(exact_allocator<void>(), use_tuple); }

// The connection's read buffer: bytes [begin, end) of mem are unread.
class read_buffer {
 public:
  std::string_view data() const { return {mem_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  void consume(std::size_t n) {
    begin_ += std::min(n, size());
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // At least `want` writable bytes after the data (moves or grows it: only
  // while no view into the data is held).
  asio::mutable_buffer prepare(std::size_t want) {
    if (cap_ - end_ < want) {
      const std::size_t n = size();
      if (begin_ > 0 && cap_ - n >= want) {
        std::memmove(mem_.get(), mem_.get() + begin_, n);
      } else {
        const std::size_t cap = std::max(cap_ * 2, n + want);
        auto bigger = std::make_unique_for_overwrite<char[]>(cap);
        if (n > 0) std::memcpy(bigger.get(), mem_.get() + begin_, n);
        mem_ = std::move(bigger);
        cap_ = cap;
      }
      begin_ = 0;
      end_ = n;
    }
    return asio::buffer(mem_.get() + end_, cap_ - end_);
  }
  void commit(std::size_t n) { end_ += n; }
  void append(std::string_view s) {
    auto b = prepare(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    commit(s.size());
  }
  void shrink() {
    if (cap_ > k_kept_read_buffer) release();
  }
  // Gives the memory back (only when nothing is unread).
  void release() {
    if (size() != 0) return;
    mem_.reset();
    cap_ = begin_ = end_ = 0;
  }
  std::size_t capacity() const { return cap_; }

 private:
  std::unique_ptr<char[]> mem_;
  std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace

struct server_shared;

// Lets completion handlers (the client watch, the read deadline) outlive
// the connection they act on.
struct session_link {
  session_io* io = nullptr;  // null once the connection is gone
  bool waiting = false;      // the client watch's receive is outstanding
  char peek_byte = 0;        // where that receive peeks (the byte stays in the socket)
};

// Everything one connection owns; outlives every request on it.
class session_io {
 public:
  session_io(tcp::socket s, server_shared& shared)
      : socket(std::move(s)), shared(shared), link(std::make_shared<session_link>()) {
    link->io = this;
  }
  ~session_io() { link->io = nullptr; }

  // A plain socket: its idle wait and its writes are timed by the worker's
  // sweep (`expires`), not by a timer per connection armed on every
  // operation as Beast's tcp_stream does.
  tcp::socket socket;
  server_shared& shared;
  read_buffer buffer;   // reused across requests
  std::string body;     // request body storage, reused
  std::string head;     // response header scratch, reused
  std::string pending;  // bytes of the next request read with a chunked body
  std::string remote;
  request_head parsed;
  budget_charge body_charge;
  clock::time_point read_deadline{};
  clock::time_point request_began{};
  // The read deadline needs a timer only when a request takes more than one
  // read (made then); when it fires, the pending read is cancelled and the
  // client told 408.
  std::unique_ptr<asio::steady_timer> deadline_timer;
  bool deadline_armed = false;
  unsigned deadline_generation = 0;  // a timer that fired just before it was disarmed is ignored
  bool timed_out = false;
  // While it waits for a request or writes, when the sweep closes it: a
  // client idle too long, or one that stopped reading a response.
  clock::time_point expires = clock::time_point::max();
  std::chrono::milliseconds linger = k_linger_time;
  bool keep_alive = true;
  bool closed = false;
  bool idle = false;  // waiting for the next request (drain and the connection cap may close it)
  clock::time_point idle_since{};
  bool release_idle = false;  // the sweep cancelled the idle read to take its buffers back
  bool warm = false;          // served a request since it was new or idle: keeps its buffers
  char first_byte = 0;        // where a connection without a buffer reads its next request's first byte
  bool head_only = false;     // a HEAD request: headers without the body
  // The current request's body: not read yet, read, or given up on.
  enum class body_state : std::uint8_t { none, unread, read, failed } body_status = body_state::none;
  std::size_t body_bytes_in_buffer = 0;  // of the read buffer, after the head, that were body bytes
  bool continue_sent = false;
  // Cancellation of the running request.
  std::function<void(cancel_reason)> on_cancel;
  cancel_reason cancelled = cancel_reason::none;
  std::shared_ptr<session_link> link;
  response_writer* current = nullptr;  // the running request's writer (its status is the access log's)
  std::string request_id;              // the handler's id for this request; empty until it sets one
  std::list<session_io*>::iterator self;

  // What the handler sees of the request just parsed.
  request make_request() {
    request r;
    r.io_ = this;
    r.method_ = parsed.method;
    r.target_ = parsed.target;
    r.version_minor_ = parsed.version_minor;
    r.headers_ = parsed.fields;
    return r;
  }

  // Would an unread body force the connection closed after the response?
  bool unread_body_blocks_keep_alive() const {
    if (body_status != body_state::unread) return body_status == body_state::failed;
    if (parsed.chunked) return true;
    const std::size_t after_head = buffer.size() - parsed.size;
    return parsed.content_length > after_head + k_max_discard_bytes;
  }
};

struct server_shared {
  asio::io_context& ioc;
  server_options options;
  request_limits limits;
  handler on_request;
  error_renderer render_error;
  rejection_observer on_rejected;
  memory_budget* budget;
  std::optional<tcp::acceptor> acceptor;
  std::list<session_io*> sessions;
  bool draining = false;
  clock::time_point last_cap_log{};
  std::unique_ptr<char[]> scratch;  // a request's first bytes, read by a connection without a buffer
  // The idle sweep: its timer, and whether the last sweep freed buffers
  // (their memory then goes back to the system on the next).
  std::optional<asio::steady_timer> sweep_timer;
  std::size_t released_since_trim = 0;
  // Requests that asked to hear of a hang-up (on_cancel) and whose client
  // watch is not armed yet: watch_timer arms the ones still running after
  // k_watch_after. Most answers are out sooner, and a watch costs two
  // syscalls (its receive tried at once, and its completion on the next
  // request's bytes): about 3% of a 1 KB request.
  std::vector<std::shared_ptr<session_link>> watch_soon;
  std::optional<asio::steady_timer> watch_timer;
  bool watch_timer_armed = false;
};

namespace {

void append_status_line(std::string& out, int status) {
  out.append("HTTP/1.1 "sv);
  append_number(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(status_text(status));
  out.append("\r\n"sv);
}

void close_socket(session_io& io, bool reset) {
  if (io.closed) return;
  io.closed = true;
  boost::system::error_code ec;
  auto& sock = io.socket;
  if (reset) sock.set_option(asio::socket_base::linger(true, 0), ec);
  sock.close(ec);
}

// Headers, sized first and then copied in place: one resize for all of
// them instead of four appends (each a capacity check and a call) per
// header, some fifteen headers a response. The last line of defence against
// response splitting: a value with CR, LF or another control character is
// left out (the name is a token: checked when the program was compiled,
// http/header_name.hpp).
void append_headers(std::string& out, header_list extra) {
  std::size_t bytes = 0;
  for (const auto& h : extra) bytes += h.name.view().size() + 2 + h.value.size() + 2;
  const std::size_t start = out.size();
  out.resize(start + bytes);
  char* p = out.data() + start;
  const auto put = [&p](std::string_view s) {
    if (s.empty()) return;  // an empty value's data may be null
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  for (const auto& h : extra) {
    if (!is_field_value(h.value)) {
      std::fprintf(stderr,
                   "{\"level\":\"error\",\"msg\":\"response header left out: control character\",\"name_len\":%zu}\n",
                   h.name.view().size());
      continue;
    }
    put(h.name.view());
    put(": "sv);
    put(h.value);
    put("\r\n"sv);
  }
  out.resize(static_cast<std::size_t>(p - out.data()));  // less any header left out
}

void append_common_headers(session_io& io, std::string_view content_type, header_list extra) {
  if (!content_type.empty()) {
    const header_field type{"content-type", content_type};
    append_headers(io.head, {&type, 1});
  }
  append_headers(io.head, extra);
  if (io.unread_body_blocks_keep_alive()) io.keep_alive = false;
  if (!io.keep_alive || io.shared.draining) {
    io.keep_alive = false;
    io.head.append("connection: close\r\n"sv);
  } else if (io.parsed.version_minor == 0) {
    io.head.append("connection: keep-alive\r\n"sv);  // HTTP/1.0 keeps a connection only when told
  }
}

// Writes everything or closes the connection; a client that stops reading
// for idle_timeout is given up on (by the sweep). False when the client is gone.
template <class Buffers>
asio::awaitable<bool> write_or_close(session_io& io, const Buffers& buffers) {
  io.expires = clock::now() + io.shared.options.idle_timeout;
  auto [ec, n] = co_await asio::async_write(io.socket, buffers, use_tuple);
  io.expires = clock::time_point::max();
  if (ec) close_socket(io, false);
  co_return !ec;
}

// The status line and the headers every response has.
void begin_head(session_io& io, int status, std::string_view content_type, header_list extra) {
  io.head.clear();
  append_status_line(io.head, status);
  append_common_headers(io, content_type, extra);
}

std::string default_error_body(std::string_view message) {
  std::string out = "{\"error\":{\"message\":\"";
  out.append(message);  // fixed ASCII messages from this file and the parser only
  out.append("\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"sv);
  return out;
}

// The path of the request being answered, once its request line was read.
std::string_view request_path(const session_io& io) {
  const auto target = io.parsed.target;
  return target.substr(0, target.find('?'));
}

// Answers a protocol-level failure and marks the connection for closing.
asio::awaitable<void> reject(session_io& io, int status, std::string_view message) {
  io.keep_alive = false;
  const protocol_error e{status, message, request_path(io)};
  std::string body = io.shared.render_error ? io.shared.render_error(e) : default_error_body(message);
  // Every response carries an id, these too, so a client can quote it: the
  // handler's when it has one, so its log line and this answer agree.
  const auto fresh = request_id::generate();
  const std::string_view id = io.request_id.empty() ? fresh.view() : std::string_view(io.request_id);
  const std::array<header_field, 1> extra{{{"x-request-id", id}}};
  if (io.current) {
    // The handler runs (reading its body, or it threw): its own record covers the request.
    if (!io.current->started()) co_await io.current->send(status, "application/json", body, extra);
    co_return;
  }
  response_writer w(io);
  co_await w.send(status, "application/json", body, extra);
  if (io.shared.on_rejected) {
    const rejected_request r{e, io.parsed.method, id, io.request_began, w.body_bytes()};
    io.shared.on_rejected(r);
  }
}

std::string limit_message(int status, const server_options& o, std::string_view why) {
  if (status == 431)
    return "Request header fields exceed the limit of " + std::to_string(o.max_header_bytes) + " bytes.";
  if (status == 413) return "Request body exceeds the limit of " + std::to_string(o.max_body_bytes) + " bytes.";
  return std::string(why);
}

// The client hung up, or a request still runs when the drain time is over.
void cancel_request(session_io& io, cancel_reason why) {
  if (!io.on_cancel || io.cancelled != cancel_reason::none) return;
  io.cancelled = why;
  auto f = std::move(io.on_cancel);
  io.on_cancel = nullptr;
  f(why);
}

void start_watch(session_io& io);

// What a readable socket holds, seen without consuming it.
enum class peer_state : std::uint8_t { gone, data, nothing_yet };
peer_state probe_peer(tcp::socket& sock) {
  char byte;
  const auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return peer_state::data;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return peer_state::nothing_yet;
  return peer_state::gone;  // EOF or an error
}

// The client sent something while a request runs: a close (EOF, reset)
// cancels it; bytes of a next request end the watch (a close behind them
// cannot be seen without reading them).
void on_watch_event(const std::shared_ptr<session_link>& w, boost::system::error_code ec, std::size_t peeked) {
  w->waiting = false;
  if (!w->io || ec == asio::error::operation_aborted) return;
  session_io& io = *w->io;
  if (!io.on_cancel || io.closed) return;  // no request is listening: the next one re-arms
  if (!ec && peeked > 0) return;
  cancel_request(io, cancel_reason::client_gone);
}

// The watch is a one-byte MSG_PEEK receive, not an async_wait: a receive is
// tried at once and then parked on the socket's existing edge-triggered
// registration, where a wait re-arms the descriptor with an epoll_ctl on
// every request (measured: one syscall per request, ~2% of a request's CPU).
void start_watch(session_io& io) {
  if (io.link->waiting || io.closed) return;
  io.link->waiting = true;
  io.socket.async_receive(asio::buffer(&io.link->peek_byte, 1), tcp::socket::message_peek,
                          [w = io.link](boost::system::error_code ec, std::size_t n) { on_watch_event(w, ec, n); });
}

// Ends a watch still waiting when its request is over. Its receive must not
// stay queued in front of the session's next read: when the client closes,
// Asio completes the first receive queued on the socket with EOF and, the
// socket being exhausted, tries none behind it, and edge-triggered epoll
// reports the close only once. The connection would stay in CLOSE-WAIT for
// good, holding its descriptor and a place under max_connections.
void stop_watch(session_io& io) {
  if (!io.link->waiting || io.closed) return;
  boost::system::error_code ignored;
  io.socket.cancel(ignored);  // only the watch is pending now; `waiting` clears when it completes
}

// Can a close be seen on this request's connection? Not when bytes past
// the request are already here: a close behind them cannot be seen.
bool watchable(const session_io& io) {
  const std::size_t own = io.parsed.size + io.body_bytes_in_buffer;
  return io.on_cancel && !io.closed && io.buffer.size() <= own && io.pending.empty();
}

// A hang-up within k_watch_after of the request's start is seen once the
// watch is armed (the socket reports the close then); a request answered
// sooner never needs one.
constexpr auto k_watch_after = std::chrono::milliseconds(20);

void watch_soon(session_io& io) {
  server_shared& s = io.shared;
  s.watch_soon.push_back(io.link);
  if (s.watch_timer_armed) return;
  if (!s.watch_timer) s.watch_timer.emplace(s.ioc);
  s.watch_timer_armed = true;
  s.watch_timer->expires_after(k_watch_after);
  s.watch_timer->async_wait([&s](boost::system::error_code ec) {
    if (ec) return;  // only when the server (and `s`) is going away
    s.watch_timer_armed = false;
    auto links = std::move(s.watch_soon);
    s.watch_soon.clear();
    for (const auto& w : links) {
      if (w->io != nullptr && watchable(*w->io)) start_watch(*w->io);
    }
  });
}

// One read of the request (after its first bytes) under the read deadline.
// Unlike the stream's own expiry, which closes the socket, a missed deadline
// leaves it open so the client can be told 408.
template <class Buffer>
asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some_in_time(session_io& io, Buffer b) {
  if (!io.deadline_armed) {
    io.deadline_armed = true;
    if (!io.deadline_timer) io.deadline_timer = std::make_unique<asio::steady_timer>(io.socket.get_executor());
    io.deadline_timer->expires_at(io.read_deadline);
    io.deadline_timer->async_wait([w = io.link, gen = io.deadline_generation](boost::system::error_code ec) {
      if (ec || !w->io || w->io->deadline_generation != gen) return;
      w->io->timed_out = true;
      boost::system::error_code ignored;
      w->io->socket.cancel(ignored);
    });
  }
  if (io.timed_out) co_return std::pair{boost::system::error_code(beast::error::timeout), std::size_t{0}};
  auto [ec, n] = co_await io.socket.async_read_some(b, use_tuple);
  if (io.timed_out) ec = beast::error::timeout;
  co_return std::pair{ec, n};
}

void disarm_deadline(session_io& io) {
  if (!io.deadline_armed) return;
  io.deadline_armed = false;
  ++io.deadline_generation;
  io.deadline_timer->cancel();
}

// A body that did not arrive: too slow (408), or the client went away.
asio::awaitable<bool> body_read_failed(session_io& io, boost::system::error_code ec) {
  if (ec == beast::error::timeout) {
    io.linger = k_linger_time_slow_client;
    co_await reject(io, 408, "The request body did not arrive in time.");
  } else {
    close_socket(io, false);
  }
  co_return false;
}

asio::awaitable<bool> reject_over_budget(session_io& io) {
  co_await reject(io, 503, "The gateway is holding too many request bodies; retry shortly.");
  co_return false;
}

// Closes after a failed or refused request while the client may still be
// sending its body: stop sending, read and drop for a short while, close.
asio::awaitable<void> linger_close(session_io& io) {
  if (io.closed) co_return;
  boost::system::error_code ec;
  io.socket.shutdown(tcp::socket::shutdown_send, ec);
  if (!ec) {
    // Timed by the read deadline's timer, armed afresh for the linger time.
    disarm_deadline(io);
    io.timed_out = false;
    io.read_deadline = clock::now() + io.linger;
    std::array<char, 8192> sink;
    std::size_t dropped = 0;
    while (dropped < k_linger_bytes) {
      auto [rec, n] = co_await read_some_in_time(io, asio::buffer(sink));
      if (rec) break;
      dropped += n;
    }
    disarm_deadline(io);
  }
  close_socket(io, false);
}

}  // namespace

// ---------------------------------------------------------------- request

std::string_view request::path() const {
  auto q = target_.find('?');
  return q == std::string_view::npos ? target_ : target_.substr(0, q);
}

std::string_view request::header(std::string_view name) const {
  for (const auto& h : headers_) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = (h.name[i] | 0x20) == (name[i] | 0x20);
    }
    if (same) return h.value;
  }
  return {};
}

std::string& request::body() { return io_->body; }
const std::string& request::body() const { return io_->body; }
std::string_view request::remote() const { return io_->remote; }
bool request::body_read() const { return io_->body_status != session_io::body_state::unread; }

namespace {

// A chunked request body, decoded as it arrives. A coroutine of its own:
// its frame holds a 16 KB read scratch, beyond what Asio recycles, which
// every request with a body would otherwise allocate.
asio::awaitable<bool> read_chunked_body(session_io& io, std::string_view buffered) {
  const auto& opt = io.shared.options;
  chunked_decoder decoder(io.shared.limits, io.parsed.size);
  io.body_bytes_in_buffer = decoder.feed(buffered, io.body);
  std::array<char, 16 * 1024> scratch;
  while (!decoder.done() && !decoder.failed()) {
    if (!io.body_charge.grow_to(io.body.capacity())) co_return co_await reject_over_budget(io);
    auto [ec, n] = co_await read_some_in_time(io, asio::buffer(scratch));
    if (ec) co_return co_await body_read_failed(io, ec);
    const std::string_view got(scratch.data(), n);
    const std::size_t used = decoder.feed(got, io.body);
    if (decoder.done() && used < n) io.pending.assign(got.substr(used));  // the next request's first bytes
  }
  if (decoder.failed()) {
    const int status = status_of(decoder.error());
    co_await reject(io, status, limit_message(status, opt, decoder.why()));
    co_return false;
  }
  if (!io.body_charge.grow_to(io.body.capacity())) co_return co_await reject_over_budget(io);
  io.body_status = session_io::body_state::read;
  co_return true;
}

}  // namespace

asio::awaitable<bool> request::read_body() {
  session_io& io = *io_;
  if (io.body_status == session_io::body_state::none || io.body_status == session_io::body_state::read) co_return true;
  if (io.body_status == session_io::body_state::failed || io.closed) co_return false;
  const auto& head = io.parsed;
  io.body_status = session_io::body_state::failed;  // until it succeeds
  io.body.clear();

  // Account for the body before buffering it: a content length is charged
  // whole, a chunked body as it grows.
  io.body_charge = budget_charge(io.shared.budget);
  if (!head.chunked && !io.body_charge.grow_to(head.content_length)) co_return co_await reject_over_budget(io);

  std::string_view buffered = io.buffer.data().substr(head.size);
  // curl and others wait for "100 Continue" before sending a large body; it
  // is sent only now, once the handler has accepted the request's headers.
  if (head.expect_continue && buffered.empty() && !io.continue_sent) {
    io.continue_sent = true;
    if (!co_await write_or_close(io, asio::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25))) co_return false;
  }

  if (!head.chunked) {
    const std::size_t total = static_cast<std::size_t>(head.content_length);
    const std::size_t have = std::min(buffered.size(), total);
    io.body.reserve(total + k_body_slack);
    io.body.assign(buffered.data(), have);
    io.body_bytes_in_buffer = have;
    io.body.resize(total);
    for (std::size_t got = have; got < total;) {
      auto [ec, n] = co_await read_some_in_time(io, asio::buffer(io.body.data() + got, total - got));
      if (ec) co_return co_await body_read_failed(io, ec);
      got += n;
    }
    io.body_status = session_io::body_state::read;
    co_return true;
  }

  co_return co_await read_chunked_body(io, buffered);
}

// ---------------------------------------------------------------- response_writer

asio::awaitable<bool> response_writer::send(int status, std::string_view content_type, std::string_view body,
                                            header_list extra) {
  if (started_ || io_.closed) co_return false;
  started_ = true;
  status_ = status;
  last_bytes_due();
  begin_head(io_, status, content_type, extra);
  auto& head = io_.head;
  head.append("content-length: "sv);
  append_number(head, body.size());
  head.append("\r\n\r\n"sv);
  finished_ = true;
  if (io_.head_only) co_return co_await write_or_close(io_, asio::buffer(head));
  body_bytes_ += body.size();
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body.data(), body.size())};
  co_return co_await write_or_close(io_, bufs);
}

asio::awaitable<bool> response_writer::begin_stream(int status, std::string_view content_type, header_list extra,
                                                    bool defer_head) {
  if (started_ || io_.closed) co_return false;
  started_ = true;
  status_ = status;
  // HTTP/1.0 has no chunked coding: its stream ends when the connection does.
  if (io_.parsed.version_minor == 0) io_.keep_alive = false;
  begin_head(io_, status, content_type, extra);
  io_.head.append("cache-control: no-cache\r\nx-accel-buffering: no\r\n"sv);
  if (io_.parsed.version_minor >= 1) io_.head.append("transfer-encoding: chunked\r\n"sv);
  io_.head.append("\r\n"sv);
  head_pending_ = true;
  if (defer_head) co_return true;
  co_return co_await write_stream({}, false);
}

asio::awaitable<bool> response_writer::write_stream(std::string_view data, bool end) {
  const bool chunked = io_.parsed.version_minor >= 1;
  // A HEAD request's stream is its head alone.
  if (io_.head_only) data = {};
  char size_line[20];
  std::size_t size_len = 0;
  if (!data.empty() && chunked) {
    auto r = std::to_chars(size_line, size_line + 16, data.size(), 16);
    *r.ptr++ = '\r';
    *r.ptr++ = '\n';
    size_len = static_cast<std::size_t>(r.ptr - size_line);
  }
  const bool framed = !data.empty() && chunked;
  const bool closing_chunk = end && chunked && !io_.head_only;
  // Zero-length buffers are skipped by the write: one writev whatever is left out.
  const std::array<asio::const_buffer, 5> bufs{
      asio::buffer(io_.head.data(), head_pending_ ? io_.head.size() : 0), asio::buffer(size_line, size_len),
      asio::buffer(data.data(), data.size()), asio::buffer("\r\n", framed ? 2 : 0),
      asio::buffer("0\r\n\r\n", closing_chunk ? 5 : 0)};
  if (asio::buffer_size(bufs) == 0) co_return true;
  body_bytes_ += data.size();
  const bool had_head = head_pending_;
  head_pending_ = false;
  const bool written = co_await write_or_close(io_, bufs);
  // A stream may run for minutes: its connection does not hold the head's
  // scratch meanwhile (the next response on it grows one again).
  if (had_head) std::string().swap(io_.head);
  co_return written;
}

asio::awaitable<bool> response_writer::write_chunk(std::string_view data) {
  if (!started_ || finished_ || io_.closed) co_return false;
  // An empty chunk would end the stream: nothing to write (but a deferred
  // head stays pending).
  if (data.empty()) co_return true;
  co_return co_await write_stream(data, false);
}

asio::awaitable<bool> response_writer::end_stream() { co_return co_await end_stream_with({}); }

asio::awaitable<bool> response_writer::end_stream_with(std::string_view data) {
  if (!started_ || finished_ || io_.closed) co_return false;
  finished_ = true;
  last_bytes_due();
  co_return co_await write_stream(data, true);
}

asio::awaitable<bool> response_writer::wait_client_gone() {
  auto& sock = io_.socket;
  for (;;) {
    if (io_.closed) co_return true;
    auto [ec] = co_await sock.async_wait(tcp::socket::wait_read, use_tuple);
    if (ec == asio::error::operation_aborted) co_return false;  // cancelled: the work finished first
    if (ec) co_return true;
    // Readable: either the peer closed (EOF) or it sent the next request
    // early. Peek to tell which, without consuming anything.
    const auto peer = probe_peer(sock);
    if (peer == peer_state::nothing_yet) continue;
    if (peer == peer_state::gone) co_return true;
    // Pipelined bytes are waiting: we cannot watch for a close any more
    // without consuming them, so stop watching (the stream goes on).
    asio::steady_timer forever(sock.get_executor(), asio::steady_timer::time_point::max());
    co_await forever.async_wait(use_tuple);
    co_return false;
  }
}

void response_writer::on_cancel(std::function<void(cancel_reason)> f) {
  io_.on_cancel = std::move(f);
  if (io_.cancelled != cancel_reason::none) {
    cancel_request(io_, io_.cancelled);  // already decided: tell the new listener at once
    return;
  }
  if (watchable(io_) && !io_.link->waiting) watch_soon(io_);
}

void response_writer::clear_cancel() { io_.on_cancel = nullptr; }

void response_writer::use_request_id(std::string_view id) { io_.request_id.assign(id); }

cancel_reason response_writer::cancelled() const { return io_.cancelled; }

void response_writer::abort() {
  finished_ = true;
  close_socket(io_, true);
}

// ---------------------------------------------------------------- server

struct server::impl {
  server_shared shared;

  impl(asio::io_context& ioc, server_options o, handler h, error_renderer r, memory_budget* b, rejection_observer j)
      : shared{ioc, std::move(o), {}, std::move(h), std::move(r), std::move(j), b, std::nullopt, {}, false, {},
               {},  {},           0,  {},           {},           false} {
    shared.limits.max_header_bytes = shared.options.max_header_bytes;
    shared.limits.max_body_bytes = shared.options.max_body_bytes;
    if (!shared.options.connection_count)
      shared.options.connection_count = std::make_shared<std::atomic<std::size_t>>(0);
  }
};

namespace {

// Reads until a whole request head is buffered and parsed. False when the
// connection should close (already answered where there was something to say).
asio::awaitable<bool> read_head(session_io& io) {
  const auto& opt = io.shared.options;
  std::size_t scanned = 0;  // bytes already searched for the end of the head
  for (;;) {
    const auto data = io.buffer.data();
    // Parse only once the empty line that ends a head may be there, so a
    // head trickled in byte by byte is not parsed again for every byte.
    const std::size_t from = scanned >= 3 ? scanned - 3 : 0;
    const bool maybe_complete =
        data.find("\n\r\n", from) != std::string_view::npos || data.find("\n\n", from) != std::string_view::npos;
    scanned = data.size();
    if (maybe_complete || data.size() >= opt.max_header_bytes) {
      auto r = parse_head(data, io.shared.limits, io.parsed);
      if (r.error != framing_error::none) {
        const int status = status_of(r.error);
        co_await reject(io, status, limit_message(status, opt, r.why));
        co_return false;
      }
      if (r.complete) co_return true;
    }
    auto [ec, n] = co_await read_some_in_time(io, io.buffer.prepare(k_first_read));
    if (ec) {
      // A request that began but did not arrive in time is told so; a peer
      // that went away gets nothing.
      if (ec == beast::error::timeout) {
        io.linger = k_linger_time_slow_client;
        // Its request line may be here: the answer then speaks the API it called.
        parse_head(io.buffer.data(), io.shared.limits, io.parsed);
        co_await reject(io, 408, "The request did not arrive in time.");
      }
      co_return false;
    }
    io.buffer.commit(n);
  }
}

// After the handler: whether an unread body is left to drain before the
// next request (false when there is none, or the connection is given up
// instead). Not a coroutine: the drain's frame holds an 8 KB sink, beyond
// what Asio recycles, and most requests would allocate it for nothing.
bool body_to_drain(session_io& io) {
  if (io.body_status != session_io::body_state::unread) return false;
  if (io.parsed.chunked || !io.keep_alive) {
    io.keep_alive = false;
    return false;
  }
  return true;
}

asio::awaitable<void> drain_body(session_io& io) {
  const auto& head = io.parsed;
  const std::size_t total = static_cast<std::size_t>(head.content_length);
  const std::size_t buffered = std::min(io.buffer.size() - head.size, total);
  io.body_bytes_in_buffer = buffered;
  std::size_t left = total - buffered;
  std::array<char, 8192> sink;
  while (left > 0) {
    auto [ec, n] = co_await read_some_in_time(io, asio::buffer(sink.data(), std::min(left, sink.size())));
    if (ec) {
      io.keep_alive = false;
      co_return;
    }
    left -= n;
  }
  io.body_status = session_io::body_state::read;
}

// A string's heap buffer, if it has one (its inline room is not a buffer it holds).
std::size_t heap_bytes(const std::string& s) { return s.capacity() > std::string().capacity() ? s.capacity() : 0; }

// What an idle connection holds besides its socket and session: given
// back by the sweep, so thousands of quiet keep-alive connections cost
// little; a connection that gets busy again grows them back once.
void release_idle_memory(session_io& io) {
  io.shared.released_since_trim += (io.buffer.size() == 0 ? io.buffer.capacity() : 0) + heap_bytes(io.body) +
                                   heap_bytes(io.head) + io.parsed.fields.capacity() * sizeof(field);
  io.buffer.release();
  std::string().swap(io.body);
  std::string().swap(io.head);
  std::string().swap(io.request_id);
  std::string().swap(io.pending);
  std::vector<field>().swap(io.parsed.fields);
}

// A connection without a read buffer (new, or idle long enough for the
// sweep to take it) has read its next request's first byte alone: the rest
// of what has come joins it, in a buffer the size of that.
void buffer_first_bytes(session_io& io) {
  auto& shared = io.shared;
  if (!shared.scratch) shared.scratch = std::make_unique_for_overwrite<char[]>(k_scratch);
  shared.scratch[0] = io.first_byte;
  const auto more = ::recv(io.socket.native_handle(), shared.scratch.get() + 1, k_scratch - 1, MSG_DONTWAIT);
  const std::size_t got = 1 + static_cast<std::size_t>(more > 0 ? more : 0);
  io.buffer.append({shared.scratch.get(), got});
}

// Closes connections past their expiry (idle for idle_timeout, or a
// response write that has not moved for as long), and takes back the
// buffers of connections idle for idle_release_after: their read is
// cancelled and run_session frees them. Once connections have given back a
// megabyte or more since the last sweep, free memory goes back to the
// system: glibc keeps it in its arenas otherwise, so after a burst of
// requests the resident size would stay at the burst's peak however few
// connections are busy now.
void sweep_idle(server_shared& shared) {
  if (shared.released_since_trim >= k_trim_after_bytes) {
    shared.released_since_trim = 0;
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
  }
  const auto now = clock::now();
  const auto after = shared.options.idle_release_after;
  for (auto* io : shared.sessions) {
    if (io->closed) continue;
    if (now >= io->expires) {
      // Its pending read or write ends with an error; the session closes.
      close_socket(*io, false);
      continue;
    }
    if (!io->idle || io->release_idle || io->buffer.capacity() == 0) continue;
    if (now - io->idle_since < after) continue;
    io->release_idle = true;
    boost::system::error_code ec;
    io->socket.cancel(ec);
  }
}

// Often enough that an idle connection's buffers go back within half of
// idle_release_after, and a connection past its expiry is closed within a
// quarter of idle_timeout (never before it).
std::chrono::milliseconds sweep_interval(const server_options& o) {
  const std::chrono::milliseconds every = std::min(o.idle_release_after / 2, o.idle_timeout / 4);
  if (every < std::chrono::milliseconds(10)) return std::chrono::milliseconds(10);
  return every < k_sweep_every ? every : k_sweep_every;
}

void schedule_sweep(server_shared& shared) {
  if (!shared.sweep_timer) return;
  // Draining, it runs on for the connections still writing their last
  // response, and stops once none is left.
  if (shared.draining && shared.sessions.empty()) return;
  shared.sweep_timer->expires_after(sweep_interval(shared.options));
  // The timer is the server's: destroyed (cancelled) with it, never after.
  shared.sweep_timer->async_wait([&shared](boost::system::error_code ec) {
    if (ec) return;
    sweep_idle(shared);
    schedule_sweep(shared);
  });
}

// One request, from its head to its last byte. The session's own frame
// holds only what waits between requests: this one lives while a request
// does. False when the connection is to close.
asio::awaitable<bool> serve_request(session_io& io) {
  const auto& opt = io.shared.options;
  // The whole request, head and body, must arrive within read_timeout:
  // a client trickling bytes cannot hold the connection longer than that.
  io.request_began = clock::now();
  io.read_deadline = io.request_began + opt.read_timeout;
  io.continue_sent = false;
  io.timed_out = false;
  io.linger = k_linger_time;
  io.body_bytes_in_buffer = 0;
  io.cancelled = cancel_reason::none;
  io.on_cancel = nullptr;
  io.body.clear();
  io.request_id.clear();
  io.parsed.method = io.parsed.target = {};  // the last request's, viewing bytes already consumed
  if (!co_await read_head(io)) {
    io.body_status = session_io::body_state::failed;  // whatever else the client sends is dropped
    co_return false;
  }
  const auto& head = io.parsed;
  io.keep_alive = head.keep_alive;
  io.head_only = head.method == "HEAD";
  io.body_status = head.has_body() ? session_io::body_state::unread : session_io::body_state::none;
  if (!is_known_method(head.method)) {
    io.body_status = session_io::body_state::failed;
    co_await reject(io, 501, "Request method not implemented.");
    co_return false;
  }
  disarm_deadline(io);

  request req = io.make_request();

  response_writer writer(io);
  io.current = &writer;
  try {
    co_await io.shared.on_request(req, writer);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"handler failed\",\"what\":\"%s\"}\n", e.what());
  }
  io.on_cancel = nullptr;
  stop_watch(io);
  if (!writer.finished() && !io.closed) {
    if (writer.started()) {
      writer.abort();  // a half-written response cannot be finished cleanly
    } else {
      co_await reject(io, 500, "Internal error.");
    }
  }
  io.current = nullptr;
  if (io.closed) co_return false;
  if (body_to_drain(io)) co_await drain_body(io);
  disarm_deadline(io);
  if (!io.keep_alive || io.body_status == session_io::body_state::failed) co_return false;

  // Forget this request: its head and body bytes, and any large buffer.
  io.buffer.consume(io.parsed.size + io.body_bytes_in_buffer);
  if (!io.pending.empty()) {
    io.buffer.append(io.pending);
    io.pending.clear();
  }
  io.body_charge.reset();
  io.body_status = session_io::body_state::none;
  if (!io.warm) {
    // A connection's first request (or its first after an idle spell)
    // gives back what it grew at once: many clients make one request and
    // then keep the connection idle in a pool, and their buffers, freed
    // now, serve the next connection's request instead of each leaving a
    // hole in the heap. From its second request on a connection is busy
    // and keeps them, so requests in a row allocate nothing.
    release_idle_memory(io);
    io.warm = true;
    co_return true;
  }
  // (Swap, not assign: assigning an empty string keeps the capacity.)
  if (io.body.capacity() > k_kept_body) std::string().swap(io.body);
  io.buffer.shrink();
  co_return true;
}

std::string remote_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

asio::awaitable<void> run_session(server_shared& shared, tcp::socket socket) {
  session_io io(std::move(socket), shared);
  io.remote = remote_of(io.socket);
  shared.sessions.push_front(&io);
  io.self = shared.sessions.begin();
  const auto& opt = shared.options;
  try {
    while (!io.closed) {
      // Wait for the first byte of the next request under the idle timeout.
      if (io.buffer.size() == 0) {
        if (io.shared.draining) break;
        io.idle = true;
        io.idle_since = clock::now();
        // A connection that was busy a moment ago reads into the buffer it
        // has (every request of a busy keep-alive connection does); one
        // without reads its first bytes apart.
        bool got = false;
        io.expires = io.idle_since + opt.idle_timeout;
        if (io.buffer.capacity() > 0) {
          auto [ec, n] = co_await io.socket.async_read_some(io.buffer.prepare(k_first_read), use_tuple);
          const bool swept = ec == asio::error::operation_aborted && io.release_idle && !io.closed;
          io.release_idle = false;
          if (!ec) {
            io.buffer.commit(n);
            got = true;
          } else if (swept) {
            release_idle_memory(io);
            io.warm = false;
          } else {
            break;
          }
        }
        if (!got) {
          // Here, not in a coroutine of its own: an idle connection waits in
          // this read, and every frame on that wait is held per connection;
          // so is its operation, allocated to size (a busy connection's read
          // above keeps Asio's recycled blocks).
          auto [ec, n] = co_await io.socket.async_read_some(asio::buffer(&io.first_byte, 1), use_tuple_exact());
          io.release_idle = false;
          got = !ec && n == 1;
          if (got) buffer_first_bytes(io);
        }
        io.idle = false;
        io.expires = clock::time_point::max();
        if (!got) break;
      }
      if (!co_await serve_request(io)) break;
    }
    // A body the client may still be sending: do not reset it mid-way.
    if (!io.closed &&
        (io.body_status == session_io::body_state::unread || io.body_status == session_io::body_state::failed)) {
      co_await linger_close(io);
    } else if (!io.closed) {
      boost::system::error_code ec;
      io.socket.shutdown(tcp::socket::shutdown_send, ec);
      close_socket(io, false);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"session failed\",\"what\":\"%s\"}\n", e.what());
  }
  shared.sessions.erase(io.self);
  shared.options.connection_count->fetch_sub(1, std::memory_order_relaxed);
}

// At the connection cap: close this worker's longest-idle connection to make
// room; false when none is idle.
bool evict_idle(server_shared& shared) {
  session_io* oldest = nullptr;
  for (auto* io : shared.sessions) {
    if (io->idle && !io->closed && (!oldest || io->idle_since < oldest->idle_since)) oldest = io;
  }
  if (!oldest) return false;
  close_socket(*oldest, false);
  return true;
}

void log_connection_cap(server_shared& shared, bool refused) {
  const auto now = clock::now();
  if (now - shared.last_cap_log < std::chrono::seconds(10)) return;  // one line per 10 s per worker
  shared.last_cap_log = now;
  std::fprintf(stderr,
               "{\"level\":\"warn\",\"msg\":\"connection limit reached\",\"max_connections\":%zu,\"action\":\"%s\"}\n",
               shared.options.max_connections, refused ? "refused new connections" : "closed idle connections");
}

asio::awaitable<void> do_accept(server_shared& shared) {
  auto& acceptor = *shared.acceptor;
  asio::steady_timer backoff(shared.ioc);
  auto& count = *shared.options.connection_count;
  const std::size_t cap = shared.options.max_connections;
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    if (cap > 0 && count.fetch_add(1, std::memory_order_relaxed) >= cap) {
      if (!evict_idle(shared)) {
        count.fetch_sub(1, std::memory_order_relaxed);
        log_connection_cap(shared, true);
        // Tell the client before closing; never wait for it.
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
        socket.non_blocking(true, ec);
        socket.send(asio::buffer(busy), 0, ec);
        socket.close(ec);
        continue;
      }
      log_connection_cap(shared, false);
    } else if (cap == 0) {
      count.fetch_add(1, std::memory_order_relaxed);
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(shared.ioc, run_session(shared, std::move(socket)), asio::detached);
  }
}

}  // namespace

server::server(asio::io_context& ioc, server_options options, handler h, error_renderer render, memory_budget* budget,
               rejection_observer on_rejected)
    : impl_(std::make_unique<impl>(ioc, std::move(options), std::move(h), std::move(render), budget,
                                   std::move(on_rejected))) {}

server::~server() = default;

namespace {

// Binds the endpoint without SO_REUSEPORT and lets it go again: this fails
// with "address already in use" while any socket listens on the port,
// whatever options that socket was given. Returns the port (the one the
// kernel picked when ep's port is 0). Another process could take the port in
// the moment between this probe and the real bind; it would then have to
// ask for SO_REUSEPORT itself.
std::uint16_t claim_port(asio::io_context& ioc, const tcp::endpoint& ep) {
  tcp::acceptor probe(ioc);
  probe.open(ep.protocol());
  // Connections of an earlier run still in TIME_WAIT do not hold the port.
  probe.set_option(asio::socket_base::reuse_address(true));
  probe.bind(ep);
  return probe.local_endpoint().port();
}

}  // namespace

std::uint16_t server::listen() {
  auto& s = impl_->shared;
  tcp::endpoint ep(asio::ip::make_address(s.options.host), s.options.port);
  if (!s.options.share_port) ep.port(claim_port(s.ioc, ep));
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
  auto& s = impl_->shared;
  asio::co_spawn(s.ioc, do_accept(s), asio::detached);
  s.sweep_timer.emplace(s.ioc);
  schedule_sweep(s);
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

void server::stop_in_flight() {
  // Copy first: a cancelled request may end and leave the list at once.
  std::vector<session_io*> busy(impl_->shared.sessions.begin(), impl_->shared.sessions.end());
  for (auto* io : busy) cancel_request(*io, cancel_reason::shutdown);
}

void server::close_all() {
  if (impl_->shared.sweep_timer) impl_->shared.sweep_timer->cancel();  // nothing left to time
  std::vector<session_io*> open(impl_->shared.sessions.begin(), impl_->shared.sessions.end());
  for (auto* io : open) {
    cancel_request(*io, cancel_reason::shutdown);
    close_socket(*io, true);
  }
}

std::size_t server::open_connections() const { return impl_->shared.sessions.size(); }

std::size_t server::held_buffer_bytes() const {
  // A string's own inline room is not a buffer it holds.
  std::size_t n = 0;
  for (const auto* io : impl_->shared.sessions)
    n += io->buffer.capacity() + heap_bytes(io->body) + heap_bytes(io->head);
  return n;
}

}  // namespace llmgw::http
