// Upstream connections: pooled per worker, plain or TLS, with the three
// step timeouts (connect, first byte, idle between body reads) and the
// call's total deadline. A connection at work carries its expiry and is
// watched by the pool's one timer, set for the earliest expiry: no timer
// operation per read or write, as a per-operation timer (Beast's
// tcp_stream) would start and cancel.
#include "http/upstream.hpp"

#include "core/memory_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/intrusive/list.hpp>

#include <sys/socket.h>
#include <algorithm>
#include <array>
#include <memory_resource>
#include <optional>
#include <tuple>

namespace llmgw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

// Idle upstream connections older than this are not reused: vendors and
// load balancers commonly close idle keep-alive connections after ~60 s.
constexpr auto k_max_idle_age = std::chrono::seconds(50);
constexpr std::uint32_t k_upstream_header_limit = 64 * 1024;
// A connection's read buffer starts small and doubles, up to k_max_read,
// only after a read that filled all the room it had: a paced stream of
// small events (a few hundred bytes each) keeps 1 KiB per connection, a
// vendor that sends large pieces gets large reads after a few. Back in the
// pool a buffer larger than k_kept_read goes back to the allocator.
constexpr std::size_t k_first_read = 1024;
constexpr std::size_t k_max_read = 64 * 1024;
constexpr std::size_t k_kept_read = 16 * 1024;
constexpr std::size_t k_min_room = 512;
// Body bytes are parsed into the worker's scratch buffer (shared by its
// connections: it is used only between two co_awaits) and appended to the
// caller's string, at most this much per step of read_all.
constexpr std::size_t k_read_chunk = 16 * 1024;
constexpr std::size_t k_scratch = 16 * 1024;

origin origin::make(std::string host, std::uint16_t port, bool tls) {
  origin o;
  o.key = (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
  o.host = std::move(host);
  o.port = port;
  o.tls = tls;
  return o;
}

std::string_view describe(upstream_failure f) {
  switch (f) {
    case upstream_failure::none:
      return "ok";
    case upstream_failure::connect:
      return "could not connect to the upstream";
    case upstream_failure::tls:
      return "TLS handshake with the upstream failed";
    case upstream_failure::connect_timeout:
      return "timed out connecting to the upstream";
    case upstream_failure::first_byte_timeout:
      return "the upstream did not answer in time";
    case upstream_failure::idle_timeout:
      return "the upstream stopped sending";
    case upstream_failure::total_timeout:
      return "the upstream did not finish within the total timeout";
    case upstream_failure::reset:
      return "the upstream closed the connection";
    case upstream_failure::protocol:
      return "the upstream sent an invalid HTTP response";
    case upstream_failure::too_large:
      return "the upstream response is too large";
    case upstream_failure::over_budget:
      return "the worker holds as many bodies as its memory limit allows";
    case upstream_failure::cancelled:
      return "cancelled";
  }
  return "unknown";
}

bool is_retryable(upstream_failure f, const exchange_progress& p) {
  if (p.response_started) return false;
  switch (f) {
    case upstream_failure::connect:
    case upstream_failure::tls:
    case upstream_failure::connect_timeout:
    case upstream_failure::first_byte_timeout:
      return true;
    case upstream_failure::reset:
      // Written whole on a fresh connection, then cut: the vendor may be at work on it.
      return p.reused || !p.request_sent;
    default:
      return false;
  }
}

// A response head's fields come from a per-connection arena, freed all at
// once when the next exchange begins: Beast's basic_fields allocates one
// node per header field, which made the response parser the largest
// source of heap allocations on the proxy path.
using field_allocator = std::pmr::polymorphic_allocator<char>;
using response_parser = bhttp::response_parser<bhttp::buffer_body, field_allocator>;

// Linked into the pool's watch list while a step of a call is timed; the
// link undoes itself when the connection is destroyed.
using watch_hook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

struct upstream_connection : watch_hook {
  std::string key;
  std::optional<tcp::socket> plain;
  std::unique_ptr<beast::ssl_stream<tcp::socket>> secure;
  beast::flat_buffer buffer;
  // The arena's first block is inline: a usual head needs no heap at all
  // (a vendor's head of many long fields takes one more block per exchange).
  alignas(std::max_align_t) std::array<std::byte, 1024> field_block;
  std::pmr::monotonic_buffer_resource fields{field_block.data(), field_block.size()};
  std::optional<response_parser> parser;
  clock::time_point last_used{};
  // When the current step gives up; set by the pool's watch once passed,
  // and then every operation of the connection fails with a timeout.
  clock::time_point expires = clock::time_point::max();
  bool timed_out = false;
  bool reused = false;
  std::size_t read_capacity = k_first_read;  // what the buffer may fill before the next read

  tcp::socket& lowest() { return secure ? secure->next_layer() : *plain; }

  // An operation's error, as the watch decided it: a cancellation by a
  // passed expiry is a timeout.
  boost::system::error_code timed(boost::system::error_code ec) const {
    return timed_out && ec ? boost::system::error_code(beast::error::timeout) : ec;
  }

  // Room for the next read: what is left of read_capacity after the bytes
  // still unparsed (the buffer grows only when that is too little).
  asio::mutable_buffer prepare_read() {
    const std::size_t len = buffer.size();
    return buffer.prepare(read_capacity > len + k_min_room ? read_capacity - len : k_min_room);
  }
  void commit_read(std::size_t n, std::size_t room) {
    buffer.commit(n);
    if (n == room && read_capacity < k_max_read) read_capacity *= 2;
  }
  // Idle in the pool: a buffer a large answer grew goes back.
  void shrink() {
    if (buffer.size() == 0 && buffer.capacity() > k_kept_read) {
      buffer.shrink_to_fit();
      read_capacity = k_first_read;
    }
  }

  void close() {
    boost::system::error_code ec;
    lowest().close(ec);
  }

  // A pooled connection the peer has closed reads as EOF; catch that with
  // one non-blocking peek instead of failing a request on it.
  bool still_open() {
    auto& s = lowest();
    if (!s.is_open()) return false;
    char probe;
    int n = ::recv(s.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    return false;  // unexpected bytes between responses: do not trust it
  }
};

struct upstream_pool::tls_context {
  ssl::context ctx{ssl::context::tls_client};
  tls_context() {
    ctx.set_default_verify_paths();
    // OpenSSL's record buffers (some 34 KB per connection) are held only
    // while a record is read or written, not while a stream waits for its
    // next event or a connection waits in the pool (nginx does the same).
    SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  }
};

// The connections whose step is timed, and one timer set for the earliest
// of their expiries. A call's steps all last longer than the ones before
// them began with, so a new step rarely moves the timer: it fires when the
// earliest step is due, and is set again for the next one.
struct upstream_pool::watch : std::enable_shared_from_this<watch> {
  explicit watch(asio::io_context& ioc) : timer(ioc) {}

  void until(upstream_connection& c, clock::time_point at) {
    c.expires = at;
    c.timed_out = false;
    if (!c.is_linked()) active.push_back(c);
    if (at < armed_for) arm(at);
  }

  void arm(clock::time_point at) {
    armed_for = at;
    timer.expires_at(at);  // cancels the wait for a later expiry, if any
    timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = w.lock()) self->sweep();
    });
  }

  void sweep() {
    armed_for = clock::time_point::max();
    const auto now = clock::now();
    auto earliest = clock::time_point::max();
    for (auto it = active.begin(); it != active.end();) {
      upstream_connection& c = *it;
      if (c.expires <= now) {
        c.timed_out = true;
        boost::system::error_code ignored;
        c.lowest().cancel(ignored);
        it = active.erase(it);
      } else {
        earliest = std::min(earliest, c.expires);
        ++it;
      }
    }
    if (earliest != clock::time_point::max()) arm(earliest);
  }

  // c's step ended. With no step left to time, the timer waits for nothing:
  // a wait left pending would keep the worker's event loop busy, and a
  // stopping gateway would wait it out (up to its stop grace, 2 s).
  void done(upstream_connection& c) {
    c.unlink();
    if (!active.empty() || armed_for == clock::time_point::max()) return;
    armed_for = clock::time_point::max();
    timer.cancel();
  }

  boost::intrusive::list<upstream_connection, boost::intrusive::constant_time_size<false>> active;
  asio::steady_timer timer;
  clock::time_point armed_for = clock::time_point::max();  // max: the timer waits for nothing
};

upstream_pool::upstream_pool(asio::io_context& ioc, std::size_t max_idle_per_origin)
    : ioc_(ioc), max_idle_(max_idle_per_origin), watch_(std::make_shared<watch>(ioc)) {}

upstream_pool::~upstream_pool() = default;

void upstream_pool::watch_until(upstream_connection& c, clock::time_point at) { watch_->until(c, at); }

void upstream_pool::unwatch(upstream_connection& c) { watch_->done(c); }

std::size_t upstream_pool::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

std::size_t upstream_pool::idle_buffer_bytes() const {
  std::size_t n = 0;
  for (const auto& [k, v] : idle_)
    for (const auto& c : v) n += c->buffer.capacity();
  return n;
}

std::unique_ptr<upstream_connection> upstream_pool::take_idle(const origin& o) {
  auto it = idle_.find(o.key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = clock::now();
  while (!list.empty()) {
    auto c = std::move(list.back());
    list.pop_back();
    // The peek costs a syscall; a connection used within the last second is
    // almost never closed by the peer, and if it was, start() retries it.
    const auto idle_for = now - c->last_used;
    if (idle_for < k_max_idle_age && (idle_for < std::chrono::seconds(1) || c->still_open())) {
      c->reused = true;
      return c;
    }
    c->close();
  }
  return nullptr;
}

void upstream_pool::put_idle(std::unique_ptr<upstream_connection> c) {
  auto& list = idle_[c->key];
  if (list.size() >= max_idle_) {
    c->close();
    return;
  }
  c->last_used = clock::now();
  c->shrink();
  list.push_back(std::move(c));
}

namespace {

upstream_failure classify(const boost::system::error_code& ec, upstream_failure timeout_kind) {
  if (!ec) return upstream_failure::none;
  if (ec == beast::error::timeout) return timeout_kind;
  if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return upstream_failure::cancelled;
  if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated)
    return upstream_failure::reset;
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == bhttp::error::partial_message)
    return upstream_failure::reset;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) return upstream_failure::protocol;
  return upstream_failure::reset;
}

template <class Stream>
asio::awaitable<boost::system::error_code> write_and_read_header(Stream& s, upstream_connection& c,
                                                                 std::string_view head, std::string_view body,
                                                                 exchange_progress& progress) {
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head.data(), head.size()),
                                         asio::buffer(body.data(), body.size())};
  if (c.timed_out) co_return beast::error::timeout;
  auto [wec, wn] = co_await asio::async_write(s, bufs, use_tuple);
  if (wec) co_return c.timed(wec);
  progress.request_sent = true;
  // Read with plain reads and parse synchronously: the response headers (and
  // often the whole body) come in one read, which the composed Beast read
  // would wrap in far more machinery than the parse itself costs.
  for (;;) {
    boost::system::error_code ec;
    while (!c.parser->is_header_done() && c.buffer.size() > 0) {
      const auto n = c.parser->put(c.buffer.data(), ec);
      c.buffer.consume(n);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec) co_return ec;
    }
    if (c.parser->is_header_done()) co_return ec;
    const auto room = c.prepare_read();
    if (c.timed_out) co_return beast::error::timeout;
    auto [rec, rn] = co_await s.async_read_some(room, use_tuple);
    if (rn > 0) progress.response_started = true;
    if (rec) co_return rec == asio::error::eof ? bhttp::error::end_of_stream : c.timed(rec);
    c.commit_read(rn, room.size());
  }
}

// Parses the body bytes the connection's buffer holds, at most `limit` of
// them, into `out` (through `scratch`, k_scratch bytes); returns how many.
// Synchronous: the scratch is the worker's, free again when this returns.
std::size_t parse_body(upstream_connection& c, char* scratch, std::string& out, std::size_t limit,
                       boost::system::error_code& ec) {
  std::size_t got = 0;
  auto& body = c.parser->get().body();
  // Eager: a parse goes on past a chunk's end while bytes remain, so every
  // chunk that came in one read is handed back at once, and a stream's
  // events that arrived together leave in one write, not one per chunk.
  c.parser->eager(true);
  while (c.buffer.size() > 0 && !c.parser->is_done() && got < limit) {
    const std::size_t cap = std::min(k_scratch, limit - got);
    body.data = scratch;
    body.size = cap;
    body.more = true;
    const auto n = c.parser->put(c.buffer.data(), ec);
    c.buffer.consume(n);
    const std::size_t piece = cap - body.size;
    out.append(scratch, piece);
    got += piece;
    if (ec == bhttp::error::need_buffer) {
      ec = {};  // the scratch is full: parse on
    } else if (ec == bhttp::error::need_more) {
      ec = {};  // a piece of framing or of a chunk: the next read brings the rest
      break;
    } else if (ec || (n == 0 && piece == 0)) {
      break;
    }
  }
  return got;
}

}  // namespace

upstream_call::upstream_call(upstream_pool& pool, const origin& o, const upstream_timeouts& t)
    : pool_(pool), origin_(o), timeouts_(t) {}

upstream_call::~upstream_call() {
  if (!conn_) return;
  // No step of this call is timed any more. Still linked, the connection
  // proves the pool alive (its list unlinks every connection when it goes,
  // as it may before a call a stopping worker destroys late).
  if (conn_->is_linked()) pool_.unwatch(*conn_);
  if (!cancelled_ && conn_->parser && conn_->parser->is_done() && conn_->parser->get().keep_alive()) {
    pool_.put_idle(std::move(conn_));
  } else {
    conn_->close();
  }
}

asio::awaitable<upstream_failure> upstream_call::connect_fresh() {
  progress_ = {};
  auto c = std::make_unique<upstream_connection>();
  c->key = origin_.key;
  auto& ioc = pool_.context();
  // An address needs no lookup: Asio resolves on a thread of its own, two
  // hand-offs per fresh connection (a local vLLM or Ollama, a sidecar).
  boost::system::error_code not_ip;
  const auto literal = asio::ip::make_address(origin_.host, not_ip);
  tcp::resolver::results_type results;
  if (not_ip) {
    tcp::resolver resolver(ioc);
    auto [rec, found] = co_await resolver.async_resolve(origin_.host, std::to_string(origin_.port), use_tuple);
    if (rec) co_return upstream_failure::connect;
    results = std::move(found);
  }

  if (origin_.tls) {
    if (!pool_.tls_) pool_.tls_ = std::make_unique<upstream_pool::tls_context>();
    c->secure = std::make_unique<beast::ssl_stream<tcp::socket>>(ioc, pool_.tls_->ctx);
  } else {
    c->plain.emplace(ioc);
  }
  auto& low = c->lowest();
  arm(*c, timeouts_.connect);  // covers the TLS handshake too
  boost::system::error_code connect_ec;
  if (not_ip) {
    std::tie(connect_ec, std::ignore) = co_await asio::async_connect(low, results, use_tuple);
  } else {
    std::tie(connect_ec) = co_await low.async_connect(tcp::endpoint(literal, origin_.port), use_tuple);
  }
  const auto cec = c->timed(connect_ec);
  if (cec == beast::error::timeout) co_return timed_out(upstream_failure::connect_timeout);
  if (cec) co_return upstream_failure::connect;
  boost::system::error_code ignored;
  low.set_option(tcp::no_delay(true), ignored);

  if (c->secure) {
    // SNI, then verify the certificate chain and that it names this host.
    // SNI carries DNS names only (RFC 6066), never an IP literal.
    if (not_ip && !SSL_set_tlsext_host_name(c->secure->native_handle(), origin_.host.c_str()))
      co_return upstream_failure::tls;
    c->secure->set_verify_callback(ssl::host_name_verification(origin_.host));
    auto [handshake_ec] = co_await c->secure->async_handshake(ssl::stream_base::client, use_tuple);
    const auto hec = c->timed(handshake_ec);
    if (hec == beast::error::timeout) co_return timed_out(upstream_failure::connect_timeout);
    if (hec) co_return upstream_failure::tls;
  }
  conn_ = std::move(c);
  co_return upstream_failure::none;
}

asio::awaitable<upstream_failure> upstream_call::exchange(std::string_view head, std::string_view body) {
  auto& c = *conn_;
  progress_ = exchange_progress{.reused = c.reused, .request_sent = false, .response_started = c.buffer.size() > 0};
  c.parser.reset();  // its fields go before the arena they live in is reset
  c.fields.release();
  c.parser.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(field_allocator(&c.fields)));
  c.parser->header_limit(k_upstream_header_limit);
  c.parser->body_limit(boost::none);  // streams are long; read_all applies its own limit
  arm(c, timeouts_.first_byte);
  // if/else rather than ?: around co_await: GCC 12 miscompiles the latter.
  boost::system::error_code ec;
  if (c.secure) {
    ec = co_await write_and_read_header(*c.secure, c, head, body, progress_);
  } else {
    ec = co_await write_and_read_header(*c.plain, c, head, body, progress_);
  }
  if (cancelled_) co_return upstream_failure::cancelled;
  co_return classify(ec, timed_out(upstream_failure::first_byte_timeout));
}

void upstream_call::arm(upstream_connection& c, std::chrono::milliseconds step) {
  const auto e = deadline_.for_step(clock::now(), step);
  armed_at_deadline_ = e.is_deadline;
  pool_.watch_until(c, e.at);
}

upstream_failure upstream_call::timed_out(upstream_failure step_kind) const {
  return armed_at_deadline_ ? upstream_failure::total_timeout : step_kind;
}

asio::awaitable<upstream_failure> upstream_call::start(std::string_view head, std::string_view body) {
  started_ = clock::now();
  timing_ = {};
  const auto since_start = [this] {
    return std::chrono::duration<double, std::milli>(clock::now() - started_).count();
  };
  deadline_ = call_deadline(started_, timeouts_.total);
  conn_ = pool_.take_idle(origin_);
  if (conn_) {
    timing_.connect_ms = 0;
    auto f = co_await exchange(head, body);
    if (f == upstream_failure::none) timing_.first_byte_ms = since_start();
    // A reused connection the peer closed meanwhile fails before any byte of
    // a response: that request most likely never reached the vendor, so send
    // it again on a fresh connection. Once the vendor began to answer, it had.
    if (f != upstream_failure::reset || cancelled_ || progress_.response_started) co_return f;
    conn_->close();
    conn_.reset();
  }
  auto f = co_await connect_fresh();
  if (f != upstream_failure::none) co_return f;
  timing_.connect_ms = since_start();
  if (cancelled_) co_return upstream_failure::cancelled;
  f = co_await exchange(head, body);
  if (f == upstream_failure::none) timing_.first_byte_ms = since_start();
  co_return f;
}

int upstream_call::status() const { return conn_ && conn_->parser ? conn_->parser->get().result_int() : 0; }

std::string_view upstream_call::header(std::string_view name) const {
  if (!conn_ || !conn_->parser) return {};
  // The fields in order, the first of that name: Beast's find spells a
  // known name out as its code and searches a case-insensitive ordered set,
  // some 570 instructions, where an answer's dozen fields are walked in
  // less (lengths first). Asked of every answer (its content type, twice).
  for (const auto& f : conn_->parser->get()) {
    const auto n = f.name_string();
    if (n.size() == name.size() && beast::iequals(n, name)) return f.value();
  }
  return {};
}

void upstream_call::visit_headers(header_visitor v, void* ctx) const {
  if (!conn_ || !conn_->parser) return;
  for (const auto& field : conn_->parser->get()) v(ctx, field.name_string(), field.value());
}

bool upstream_call::body_done() const { return conn_ && conn_->parser && conn_->parser->is_done(); }

asio::awaitable<std::pair<upstream_failure, std::size_t>> upstream_call::read_some(std::string& out,
                                                                                   std::size_t limit) {
  if (!conn_ || cancelled_) co_return std::pair{upstream_failure::cancelled, std::size_t{0}};
  auto& c = *conn_;
  if (!pool_.scratch_) pool_.scratch_ = std::make_unique_for_overwrite<char[]>(k_scratch);
  // Bytes already buffered first (they came with the headers, or after the
  // last piece a read_all step took); a read only when none are left. A
  // read may bring only chunk framing: keep going until body bytes arrive
  // or the body ends.
  for (;;) {
    boost::system::error_code ec;
    const std::size_t got = parse_body(c, pool_.scratch_.get(), out, limit, ec);
    if (ec) co_return std::pair{classify(ec, upstream_failure::protocol), got};
    if (got > 0 || c.parser->is_done()) co_return std::pair{upstream_failure::none, got};
    // As much buffered as a read may bring, and none of it body: bytes the
    // parser cannot take (an endless chunk extension, say).
    if (c.buffer.size() >= k_max_read) co_return std::pair{upstream_failure::protocol, std::size_t{0}};
    arm(c, timeouts_.idle);
    // Read here, not in a coroutine of its own: a stream waits in this
    // read for most of its life, and every frame on that wait is held per stream.
    const auto room = c.prepare_read();
    std::size_t n = 0;
    if (c.timed_out) {
      ec = beast::error::timeout;
    } else if (c.secure) {
      std::tie(ec, n) = co_await c.secure->async_read_some(room, use_tuple);
    } else {
      std::tie(ec, n) = co_await c.plain->async_read_some(room, use_tuple);
    }
    ec = c.timed(ec);
    if (n > 0) c.commit_read(n, room.size());
    if (cancelled_) ec = asio::error::operation_aborted;
    if (ec == asio::error::eof) {
      // A body that runs until the connection closes ends here; any other
      // is cut short (partial_message).
      ec = {};
      c.parser->put_eof(ec);
      if (!ec) continue;
    }
    if (ec) co_return std::pair{classify(ec, timed_out(upstream_failure::idle_timeout)), std::size_t{0}};
  }
}

namespace {

// std::string::reserve may round a request up to twice the old capacity;
// a buffer charged to a budget must be exactly as large as its charge.
void grow_exactly(std::string& s, std::size_t capacity) {
  std::string bigger;
  bigger.reserve(capacity);
  bigger.append(s);
  s.swap(bigger);
}

constexpr std::uint64_t k_length_unknown = ~std::uint64_t{0};

// Body bytes still to come of a response that declared its length;
// k_length_unknown for chunked or read-until-close bodies. GCC 12 warns
// falsely that the boost::none Beast returns is read uninitialized (kept
// out of line so the pragma covers wherever it is compiled).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
[[gnu::noinline]] std::uint64_t declared_remaining(const response_parser& p) {
  return p.content_length_remaining().value_or(k_length_unknown);
}
#pragma GCC diagnostic pop

}  // namespace

asio::awaitable<upstream_failure> upstream_call::read_all(std::string& out, std::size_t limit, budget_charge* charge) {
  if (!conn_ || cancelled_ || !conn_->parser) co_return upstream_failure::cancelled;
  auto& parser = *conn_->parser;
  // A buffer reused from a pool comes with its capacity: that counts too.
  if (charge && !charge->grow_to(out.capacity())) co_return give_up(upstream_failure::over_budget);
  if (const std::uint64_t declared = declared_remaining(parser); declared != k_length_unknown) {
    // Refused before a byte of it is read; otherwise reserved (and charged) at once.
    if (declared > limit - std::min(limit, out.size())) co_return give_up(upstream_failure::too_large);
    const std::size_t want = out.size() + static_cast<std::size_t>(declared);
    if (want > out.capacity()) {
      if (charge && !charge->grow_to(want)) co_return give_up(upstream_failure::over_budget);
      grow_exactly(out, want);
    }
  }
  for (;;) {
    // Room for the next read first, so read_some never reallocates behind
    // the charge's back: doubling, and once that reaches the limit, straight
    // to all the limit can need (one step: each step copies the buffer).
    if (!parser.is_done()) {
      const std::size_t room = std::min<std::uint64_t>(k_read_chunk, declared_remaining(parser));
      if (out.capacity() - out.size() < room) {
        std::size_t want = std::max(out.size() + room, 2 * out.capacity());
        if (want >= limit) want = limit + k_read_chunk;
        if (charge && !charge->grow_to(want)) co_return give_up(upstream_failure::over_budget);
        grow_exactly(out, want);
      }
    }
    auto [f, n] = co_await read_some(out, out.capacity() - out.size());
    if (f != upstream_failure::none) co_return f;
    if (out.size() > limit) co_return give_up(upstream_failure::too_large);
    if (n == 0 && body_done()) co_return upstream_failure::none;
  }
}

upstream_failure upstream_call::give_up(upstream_failure f) {
  // The rest of the body is never read: the connection cannot be reused.
  cancel();
  return f;
}

void upstream_call::cancel() {
  cancelled_ = true;
  if (conn_) conn_->close();
}

}  // namespace llmgw::http
