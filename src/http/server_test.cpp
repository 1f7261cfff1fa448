// The server's own answers (400, 408, 413, 431, 500) on a loopback socket:
// the renderer is told the path the client called once its request line was
// read, and an answer to a request the handler took quotes the handler's id.
// And what an idle keep-alive connection holds, and when a connection that
// waits (an idle client, a client that stopped reading) is given up on.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/test_client.hpp"

namespace llmgw::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::string_view k_handler_id = "req_0123456789abcdef01234567";

// Says which status and path it was asked to render, so a test can read both.
std::string render_for_test(const protocol_error& e) {
  return std::to_string(e.status) + " path=" + std::string(e.path);
}

// Set by /endless once a write of its stream fails: the client stopped reading.
std::atomic<std::promise<void>*> endless_given_up = nullptr;

// What the writer's last-bytes hook saw: how often it ran, and how many body
// bytes had gone out when it did.
std::atomic<int> last_bytes_calls = 0;
std::atomic<std::uint64_t> last_bytes_sent_before = 0;

asio::awaitable<void> handle(request& req, response_writer& out) {
  out.use_request_id(k_handler_id);
  if (req.path() == "/last-bytes-send" || req.path() == "/last-bytes-stream") {
    out.before_last_bytes(
        [](void* w) {
          ++last_bytes_calls;
          last_bytes_sent_before = static_cast<response_writer*>(w)->body_bytes();
        },
        &out);
    if (req.path() == "/last-bytes-send") {
      co_await out.send(200, "text/plain", "ok");
    } else {
      co_await out.begin_stream(200, "text/event-stream", {}, false);
      co_await out.write_chunk("data: a\n\n");
      co_await out.end_stream_with("data: b\n\n");
    }
    co_return;
  }
  if (req.path() == "/throw") throw std::runtime_error("handler failed on purpose");
  if (req.path() == "/inject") {
    // A value with CR LF must never reach the wire. (A name that is not a
    // token does not compile: header_name_test.cpp.)
    const std::array<header_field, 2> extra{{{"x-model", "m\r\nset-cookie: a=b"}, {"x-fine", "kept"}}};
    co_await out.send(200, "text/plain", "ok", extra);
    co_return;
  }
  if (req.path() == "/stream-deferred" || req.path() == "/stream-now") {
    // A first chunk that takes 300 ms: does the head wait for it?
    co_await out.begin_stream(200, "text/event-stream", {}, req.path() == "/stream-deferred");
    asio::steady_timer pause(co_await asio::this_coro::executor, 300ms);
    co_await pause.async_wait(asio::use_awaitable);
    co_await out.write_chunk("data: a\n\n");
    co_await out.end_stream();
    co_return;
  }
  if (req.path() == "/endless") {
    co_await out.begin_stream(200, "text/event-stream", {}, false);
    const std::string chunk(64 * 1024, 'x');
    while (co_await out.write_chunk(chunk)) {
    }
    if (auto* p = endless_given_up.load()) p->set_value();
    co_return;
  }
  if (req.path() == "/stream-whole") {
    co_await out.begin_stream(200, "text/event-stream", {}, true);
    co_await out.end_stream_with("data: x\n\n");
    co_return;
  }
  if (req.path() == "/big") {
    // 16 MiB of a pattern that shows any byte out of place.
    std::string body(16 << 20, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    co_await out.send(200, "text/plain", body);
    co_return;
  }
  if (req.path() == "/slow") {
    // Long enough for the server to start watching the client for a hang-up.
    out.on_cancel([](cancel_reason) {});
    asio::steady_timer pause(co_await asio::this_coro::executor, 80ms);
    co_await pause.async_wait(asio::use_awaitable);
    out.clear_cancel();
    co_await out.send(200, "text/plain", "slow");
    co_return;
  }
  if (req.path() == "/unread") {
    co_await out.send(200, "text/plain", "answered unread");  // the body is left to the server
    co_return;
  }
  const bool read = co_await req.read_body();
  if (read) co_await out.send(200, "text/plain", "ok");
}

// A server on a loopback port, run on a thread of its own for the test.
class server_fixture : public ::testing::Test {
 protected:
  void start(const server_options& o, error_renderer render = {}) {
    server_ = std::make_unique<server>(ioc_, o, handle, std::move(render));
    port_ = server_->listen();
    server_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    asio::post(ioc_, [this] {
      server_->drain();
      server_->close_all();
    });
    thread_.join();
    server_.reset();
  }

  static server_options loopback() {
    server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }

  asio::io_context ioc_;
  std::unique_ptr<server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

class server_errors : public server_fixture {
 protected:
  void SetUp() override {
    server_options o = loopback();
    o.max_header_bytes = 1024;
    o.max_body_bytes = 100;
    o.read_timeout = 300ms;
    start(o, render_for_test);
  }

  struct answer {
    int status = 0;
    std::string request_id;
    std::string body;
    std::string raw;
  };

  // Sends `bytes` on a new connection and reads until the server closes it.
  answer exchange(std::string_view bytes) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    asio::write(s, asio::buffer(bytes.data(), bytes.size()));
    answer a;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(a.raw), ec);
    return parse_last(a.raw);
  }

  // The last response in `raw` (a connection may carry several).
  static answer parse_last(const std::string& raw) {
    answer a;
    a.raw = raw;
    const auto start = raw.rfind("HTTP/1.1 ");
    if (start == std::string::npos) return a;
    a.status = std::stoi(raw.substr(start + 9, 3));
    const auto id = raw.find("x-request-id: ", start);
    if (id != std::string::npos) a.request_id = raw.substr(id + 14, raw.find("\r\n", id) - id - 14);
    const auto end = raw.find("\r\n\r\n", start);
    if (end != std::string::npos) a.body = raw.substr(end + 4);
    return a;
  }
};

// A deferred head leaves with the stream's first chunk (one write), not
// before it; a head that is not deferred is on the wire at once.
TEST_F(server_errors, a_deferred_stream_head_waits_for_the_first_chunk) {
  for (const bool deferred : {true, false}) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    const std::string req = std::string("GET ") + (deferred ? "/stream-deferred" : "/stream-now") +
                            " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::this_thread::sleep_for(150ms);  // the handler waits 300 ms before its first chunk
    EXPECT_EQ(s.available() == 0, deferred) << (deferred ? "deferred" : "at once");
    std::string raw;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(raw), ec);
    EXPECT_NE(raw.find("\r\n\r\n9\r\ndata: a\n\n\r\n0\r\n\r\n"), std::string::npos) << raw;
  }
}

// The gateway settles a request's limits in the writer's last-bytes hook: it
// runs once, before the answer's final write (a whole answer, or a stream's
// end), and not for a stream's earlier chunks.
TEST_F(server_errors, the_last_bytes_hook_runs_once_before_the_final_write) {
  last_bytes_calls = 0;
  last_bytes_sent_before = 99;
  auto a = exchange("GET /last-bytes-send HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  EXPECT_EQ(a.body, "ok");
  EXPECT_EQ(last_bytes_calls, 1);
  EXPECT_EQ(last_bytes_sent_before, 0u);

  last_bytes_calls = 0;
  a = exchange("GET /last-bytes-stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  EXPECT_EQ(a.body, "9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n");
  EXPECT_EQ(last_bytes_calls, 1);
  EXPECT_EQ(last_bytes_sent_before, 9u);  // the first chunk was out, the last one not yet
}

// A stream whose bytes are all at hand: head, chunk and end in one response,
// framed as a chunked body.
TEST_F(server_errors, a_whole_stream_is_head_chunk_and_end) {
  const auto a = exchange("GET /stream-whole HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.raw.find("transfer-encoding: chunked\r\n"), std::string::npos) << a.raw;
  EXPECT_EQ(a.body, "9\r\ndata: x\n\n\r\n0\r\n\r\n");
}

TEST_F(server_errors, a_declared_body_over_the_limit_is_rendered_for_the_path_called) {
  auto a = exchange("POST /v1/messages?beta=true HTTP/1.1\r\nhost: gw\r\ncontent-length: 5000\r\n\r\n");
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.body, "413 path=/v1/messages");
  EXPECT_TRUE(a.request_id.starts_with("req_")) << a.raw;
  EXPECT_NE(a.request_id, k_handler_id);  // refused before any handler ran
}

TEST_F(server_errors, headers_over_the_limit_are_rendered_for_the_path_called) {
  auto a = exchange("POST /v1/messages HTTP/1.1\r\nhost: gw\r\nx-big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(a.status, 431);
  EXPECT_EQ(a.body, "431 path=/v1/messages");
}

TEST_F(server_errors, a_head_that_does_not_arrive_in_time_is_rendered_for_the_path_called) {
  auto a = exchange("POST /v1/messages/count_tokens HTTP/1.1\r\nhost: gw\r\nx-slow: ");
  EXPECT_EQ(a.status, 408);
  EXPECT_EQ(a.body, "408 path=/v1/messages/count_tokens");
}

TEST_F(server_errors, a_malformed_request_line_has_no_path) {
  auto a = exchange("HELLO THERE\r\n\r\n");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, "400 path=");
}

TEST_F(server_errors, a_malformed_request_after_a_good_one_does_not_inherit_its_path) {
  auto a = exchange("GET /v1/messages HTTP/1.1\r\nhost: gw\r\n\r\nHELLO THERE\r\n\r\n");
  EXPECT_EQ(a.raw.find("HTTP/1.1 200"), 0u) << a.raw;
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, "400 path=");
}

TEST_F(server_errors, a_handler_that_throws_gets_a_500_with_its_own_id_and_path) {
  auto a = exchange("GET /throw HTTP/1.1\r\nhost: gw\r\n\r\n");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.body, "500 path=/throw");
  EXPECT_EQ(a.request_id, k_handler_id);
}

TEST_F(server_errors, a_body_refused_while_the_handler_reads_it_quotes_the_handlers_id) {
  // Chunked: the size is known only as the body arrives, inside read_body().
  const std::string chunk(150, 'x');
  auto a = exchange("POST /v1/messages HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n96\r\n" + chunk +
                    "\r\n0\r\n\r\n");
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.body, "413 path=/v1/messages");
  EXPECT_EQ(a.request_id, k_handler_id);
}

TEST_F(server_errors, a_body_that_does_not_arrive_in_time_quotes_the_handlers_id) {
  auto a = exchange("POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-length: 50\r\n\r\n{\"mod");
  EXPECT_EQ(a.status, 408);
  EXPECT_EQ(a.body, "408 path=/v1/messages");
  EXPECT_EQ(a.request_id, k_handler_id);
}

// A handler that answers without reading the body: the server reads the
// rest of it off the socket (here it arrives after the answer) and the
// connection serves its next request; a chunked body left unread closes
// the connection instead.
TEST_F(server_errors, a_body_the_handler_left_unread_is_drained_before_the_next_request) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  const std::string head = "POST /unread HTTP/1.1\r\nhost: gw\r\ncontent-length: 60\r\n\r\n";
  asio::write(s, asio::buffer(head + std::string(10, 'a')));
  std::this_thread::sleep_for(50ms);
  asio::write(s, asio::buffer(std::string(50, 'b') + "GET /next HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n"));
  std::string raw;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(raw), ec);
  const auto first = raw.find("answered unread");
  ASSERT_NE(first, std::string::npos) << raw;
  const auto second = parse_last(raw.substr(first));
  EXPECT_EQ(second.status, 200) << raw;
  EXPECT_EQ(second.body, "ok") << raw;

  auto chunked = exchange(
      "POST /unread HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
      "GET /next HTTP/1.1\r\nhost: gw\r\n\r\n");
  EXPECT_EQ(chunked.body, "answered unread") << chunked.raw;
  EXPECT_NE(chunked.raw.find("connection: close\r\n"), std::string::npos) << chunked.raw;
  EXPECT_EQ(chunked.raw.find("HTTP/1.1 ", 1), std::string::npos) << "one answer only:\n" << chunked.raw;
}

// A response larger than the socket takes at once, to a client that reads
// only later: it arrives whole, in order and once.
TEST_F(server_errors, a_response_the_socket_cannot_take_at_once_arrives_whole) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.open(tcp::v4());
  const int small = 16 * 1024;  // before connecting, so the window stays small
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  asio::write(s, asio::buffer(std::string_view("GET /big HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n")));
  std::this_thread::sleep_for(200ms);
  std::string raw;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(raw), ec);
  ASSERT_EQ(raw.find("HTTP/1.1 ", 1), std::string::npos) << "one response, sent once";
  const auto a = parse_last(raw);
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(a.body.size(), std::size_t{16 << 20});
  for (std::size_t i = 0; i < a.body.size(); ++i) {
    ASSERT_EQ(a.body[i], static_cast<char>('a' + (i * 7 + i / 4096) % 26)) << "byte " << i;
  }
}

// A client that closes its keep-alive connection after a request long
// enough to be watched for a hang-up: the server closes its side too (its
// next read sees the close; the watch's receive must not be left in front
// of it). Before, such connections stayed in CLOSE-WAIT for good, holding a
// descriptor and a place under max_connections.
TEST_F(server_errors, a_connection_closed_by_its_client_after_a_watched_request_is_closed) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  asio::write(s, asio::buffer(std::string_view("GET /slow HTTP/1.1\r\nhost: gw\r\n\r\n")));
  std::string raw;
  char buf[4096];
  while (raw.find("slow", raw.find("\r\n\r\n") == std::string::npos ? raw.size() : raw.find("\r\n\r\n")) ==
         std::string::npos) {
    const std::size_t n = s.read_some(asio::buffer(buf));
    raw.append(buf, n);
  }
  s.shutdown(tcp::socket::shutdown_send);  // the client is done: FIN
  timeval two_seconds{2, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
  // A plain recv: Asio's own read would wait past the timeout.
  const auto n = ::recv(s.native_handle(), buf, sizeof buf, 0);
  EXPECT_EQ(n, 0) << "the server did not close its side within 2 s";
}

TEST_F(server_errors, header_values_with_control_characters_are_left_out) {
  auto a = exchange("GET /inject HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.raw.find("set-cookie"), std::string::npos) << a.raw;
  EXPECT_EQ(a.raw.find("x-model"), std::string::npos) << a.raw;
  EXPECT_NE(a.raw.find("x-fine: kept\r\n"), std::string::npos) << a.raw;
  // Nothing of the header left out stays behind, not even its room.
  EXPECT_EQ(a.raw.find('\0'), std::string::npos);
  EXPECT_EQ(a.body, "ok");
}

class server_idle : public server_fixture {
 protected:
  void SetUp() override {
    server_options o = loopback();
    o.idle_release_after = 500ms;
    start(o);
  }

  // Asked on the server's own thread.
  std::size_t held() {
    std::promise<std::size_t> p;
    asio::post(ioc_, [&] { p.set_value(server_->held_buffer_bytes()); });
    return p.get_future().get();
  }
};

TEST_F(server_idle, a_connection_keeps_its_buffers_only_while_busy) {
  namespace bhttp = boost::beast::http;
  const auto post = [](testing::client& c, char fill) {
    auto r = c.exchange(bhttp::verb::post, "/echo", std::string(3000, fill));
    EXPECT_EQ(r.status, 200) << r.ec.message();
    EXPECT_EQ(r.body, "ok");
  };
  // The client may read the answer a moment before the server has gone
  // on past it: what the server holds is looked at until it settles.
  const auto held_within = [this](std::chrono::milliseconds limit) {
    std::size_t h = held();
    for (auto waited = 0ms; h > 0 && waited < limit; waited += 5ms) {
      std::this_thread::sleep_for(5ms);
      h = held();
    }
    return h;
  };
  testing::client c(port_);
  // A first request gives its buffers back at once (well before
  // idle_release_after): many clients send one and then keep the
  // connection idle.
  post(c, 'a');
  EXPECT_EQ(held_within(100ms), 0u);
  // The next one finds a busy connection: its read buffer and body are kept
  // for the request after.
  post(c, 'b');
  EXPECT_GE(held(), 6000u);
  std::this_thread::sleep_for(100ms);
  EXPECT_GE(held(), 6000u);
  // Idle for idle_release_after: given back.
  EXPECT_EQ(held_within(2s), 0u) << "an idle connection still holds its buffers";
  // Still a working keep-alive connection, cold again.
  post(c, 'c');
  EXPECT_EQ(held_within(100ms), 0u);
  post(c, 'd');
  EXPECT_GE(held(), 6000u);
}

class server_timeouts : public server_fixture {
 protected:
  static constexpr auto k_idle = 400ms;
  void SetUp() override {
    server_options o = loopback();
    o.idle_timeout = k_idle;
    start(o);
  }

  // A client socket whose reads give up after 5 s (a test fails, never hangs).
  void connect(tcp::socket& s) {
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    const timeval limit{5, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
};

TEST_F(server_timeouts, an_idle_connection_is_closed_after_idle_timeout_and_not_before) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  connect(s);
  const auto t0 = std::chrono::steady_clock::now();
  char byte = 0;
  const auto n = ::recv(s.native_handle(), &byte, 1, 0);  // not asio's read: it would wait on past the 5 s
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(n, 0) << "not closed by the server";
  EXPECT_GE(took, k_idle);
  EXPECT_LT(took, k_idle + 1s);
}

TEST_F(server_timeouts, a_client_that_stops_reading_a_response_is_given_up_on_after_idle_timeout) {
  std::promise<void> given_up;
  endless_given_up = &given_up;
  asio::io_context ioc;
  tcp::socket s(ioc);
  connect(s);
  const auto t0 = std::chrono::steady_clock::now();
  asio::write(s, asio::buffer(std::string_view("GET /endless HTTP/1.1\r\nhost: x\r\n\r\n")));
  // Nothing is read: the server's writes stop once the socket buffers are full.
  const bool ended = given_up.get_future().wait_for(5s) == std::future_status::ready;
  const auto took = std::chrono::steady_clock::now() - t0;
  endless_given_up = nullptr;
  ASSERT_TRUE(ended) << "a write the client never reads was not given up on";
  EXPECT_GE(took, k_idle);
  EXPECT_LT(took, k_idle + 1s);
}

}  // namespace
}  // namespace llmgw::http
