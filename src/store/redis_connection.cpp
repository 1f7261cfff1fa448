// One Redis connection on Asio: RESP out of our own buffer, replies parsed
// by hiredis's reader, commands of concurrent coroutines pipelined into one
// write, one timer per call serving as both its wake-up and its timeout.
#include "store/redis_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <span>

namespace llmgw::store {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

redis_script::redis_script(std::string src) : source(std::move(src)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(source.data(), source.size(), digest, &len, EVP_sha1(), nullptr);
  constexpr char k_hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    sha1.push_back(k_hex[digest[i] >> 4]);
    sha1.push_back(k_hex[digest[i] & 0xf]);
  }
}

namespace {

// The coroutine of one call waits on its timer: the reply (or a failure)
// cancels it early; expiring is the call's timeout.
struct waiter {
  explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::vector<redis_result> results;
  std::size_t remaining = 0;
  bool done = false;
  void finish() {
    done = true;
    timer.cancel();
  }
};

struct pending_slot {
  std::shared_ptr<waiter> w;
  std::size_t index;
};

struct reader_deleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};

// One TCP (or TLS) connection. A new one per reconnect, so a coroutine still
// running on an old one sees that it is no longer current and stops.
struct link {
  std::optional<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::unique_ptr<redisReader, reader_deleter> reader{redisReaderCreate()};
  std::array<char, 16 * 1024> rbuf;
  std::string wbuf;
  bool writing = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() {
    boost::system::error_code ec;
    lowest().socket().close(ec);
  }
};

// RESP: *<count>, then $<size> and the bytes of each argument. Sized first
// and written in place, with no append per piece: a limit check's EVALSHA
// carries some ten arguments per request in the batch, and five appends an
// argument (each checking the room left) were 2.7k instructions a request.
void encode(std::string& out, const redis_command& c) {
  constexpr std::size_t k_number = 20;  // digits of a size_t, at most
  std::size_t need = 1 + k_number + 2;
  for (const auto& a : c) need += 1 + k_number + 2 + a.size() + 2;
  const std::size_t start = out.size();
  out.resize(start + need);
  char* p = out.data() + start;
  const auto line = [&p](char kind, std::size_t n) {
    *p++ = kind;
    p = std::to_chars(p, p + k_number, n).ptr;
    *p++ = '\r';
    *p++ = '\n';
  };
  line('*', c.size());
  for (const auto& a : c) {
    line('$', a.size());
    std::memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
}

redis_reply convert(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return redis_reply::make_integer(r->integer);
    case REDIS_REPLY_STRING:
      return redis_reply::make_text(redis_reply::kind::string, std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return redis_reply::make_text(redis_reply::kind::status, std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return redis_reply::make_text(redis_reply::kind::error, std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY: {
      redis_reply out;
      out.type = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      return out;
    }
    default:
      return redis_reply::make_nil();
  }
}

template <class Stream>
asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(Stream& s, link& l) {
  auto [ec, n] = co_await s.async_read_some(asio::buffer(l.rbuf), use_tuple);
  co_return std::pair{ec, n};
}

template <class Stream>
asio::awaitable<boost::system::error_code> write_all(Stream& s, const std::string& data) {
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), use_tuple);
  co_return ec;
}

asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(link& l) {
  // if/else rather than ?: around co_await: GCC 12 miscompiles the latter.
  if (l.secure) {
    co_return co_await read_some(*l.secure, l);
  } else {
    co_return co_await read_some(*l.plain, l);
  }
}

asio::awaitable<boost::system::error_code> write_all(link& l, const std::string& data) {
  if (l.secure) {
    co_return co_await write_all(*l.secure, data);
  } else {
    co_return co_await write_all(*l.plain, data);
  }
}

}  // namespace

struct redis_connection::impl : std::enable_shared_from_this<impl> {
  enum class state { idle, connecting, connected };

  impl(asio::io_context& c, redis_options o) : ioc(c), opt(std::move(o)), where(describe(opt.url)) {}

  asio::io_context& ioc;
  redis_options opt;
  std::string where;  // the URL without its password, for messages
  std::unique_ptr<ssl::context> tls;
  state st = state::idle;
  bool closed = false;
  std::shared_ptr<link> cur;
  std::string out;  // encoded commands not yet written
  std::size_t out_count = 0;
  std::deque<pending_slot> pending;  // written or queued, in order: replies come back in this order
  std::chrono::milliseconds backoff{0};
  clock::time_point retry_at{};
  std::string last_error;
  counters stats;

  // Fails every pending command with `kind`, closes the link and starts the
  // backoff. A link that is no longer current was dropped already.
  void drop(const std::shared_ptr<link>& l, redis_failure kind, const std::string& why) {
    if (!l || l != cur) return;
    l->close();
    cur.reset();
    st = state::idle;
    ++stats.failures;
    backoff = backoff.count() == 0 ? opt.backoff_initial : std::min(backoff * 2, opt.backoff_max);
    retry_at = clock::now() + backoff;
    last_error = why;
    out.clear();
    out_count = 0;
    auto list = std::move(pending);
    pending.clear();
    std::vector<std::shared_ptr<waiter>> woken;
    for (auto& s : list) {
      if (s.w->done) continue;
      s.w->results[s.index] = redis_error{kind, why};
      if (woken.empty() || woken.back() != s.w) woken.push_back(s.w);
    }
    for (auto& w : woken) w->finish();
  }

  void start_connect() {
    st = state::connecting;
    cur = std::make_shared<link>();
    asio::co_spawn(ioc, run_connect(shared_from_this(), cur), asio::detached);
  }

  void kick_writer() {
    if (st != state::connected || cur->writing || out.empty()) return;
    cur->writing = true;
    asio::co_spawn(ioc, write_loop(shared_from_this(), cur), asio::detached);
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<impl> self, std::shared_ptr<link> l) {
    // Let every coroutine that is ready to run on this turn of the loop queue
    // its command first: they all leave in this one write.
    co_await asio::post(self->ioc, asio::use_awaitable);
    while (l == self->cur && !self->out.empty()) {
      l->wbuf.clear();
      l->wbuf.swap(self->out);
      ++self->stats.writes;
      self->stats.commands += self->out_count;
      self->out_count = 0;
      const auto ec = co_await write_all(*l, l->wbuf);
      if (l != self->cur) co_return;
      if (ec) {
        self->drop(l, redis_failure::disconnected, "writing to Redis at " + self->where + " failed: " + ec.message());
        co_return;
      }
    }
    l->writing = false;
  }

  static asio::awaitable<void> read_loop(std::shared_ptr<impl> self, std::shared_ptr<link> l) {
    for (;;) {
      const auto [ec, n] = co_await read_some(*l);
      if (l != self->cur) co_return;
      if (ec) {
        const std::string why = ec == asio::error::eof
                                    ? "Redis at " + self->where + " closed the connection"
                                    : "the connection to Redis at " + self->where + " was lost: " + ec.message();
        self->drop(l, redis_failure::disconnected, why);
        co_return;
      }
      if (!self->deliver(l, n)) co_return;
    }
  }

  // Parses n new bytes and hands each complete reply to the oldest pending
  // command; false when the link was dropped.
  bool deliver(const std::shared_ptr<link>& l, std::size_t n) {
    if (redisReaderFeed(l->reader.get(), l->rbuf.data(), n) != REDIS_OK) {
      drop(l, redis_failure::protocol, std::string("invalid reply from Redis: ") + l->reader->errstr);
      return false;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(l->reader.get(), &raw) != REDIS_OK) {
        drop(l, redis_failure::protocol, std::string("invalid reply from Redis: ") + l->reader->errstr);
        return false;
      }
      if (!raw) return true;
      redis_reply r = convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      if (pending.empty()) {
        drop(l, redis_failure::protocol, "Redis sent a reply with no command waiting for it");
        return false;
      }
      pending_slot s = std::move(pending.front());
      pending.pop_front();
      if (s.w->done) continue;  // its caller gave up
      s.w->results[s.index] = std::move(r);
      if (--s.w->remaining == 0) s.w->finish();
    }
  }

  // Reads `count` replies on a link that is not serving commands yet (the
  // AUTH and SELECT of a new connection).
  static asio::awaitable<std::optional<std::vector<redis_reply>>> read_replies(link& l, std::size_t count,
                                                                               std::string& error) {
    std::vector<redis_reply> got;
    while (got.size() < count) {
      void* raw = nullptr;
      if (redisReaderGetReply(l.reader.get(), &raw) != REDIS_OK) {
        error = std::string("invalid reply from Redis: ") + l.reader->errstr;
        co_return std::nullopt;
      }
      if (raw) {
        got.push_back(convert(static_cast<redisReply*>(raw)));
        freeReplyObject(raw);
        continue;
      }
      const auto [ec, n] = co_await read_some(l);
      if (ec) {
        error = ec == beast::error::timeout ? std::string("timed out") : ec.message();
        co_return std::nullopt;
      }
      redisReaderFeed(l.reader.get(), l.rbuf.data(), n);
    }
    co_return got;
  }

  static asio::awaitable<void> run_connect(std::shared_ptr<impl> self, std::shared_ptr<link> l) {
    const redis_url& u = self->opt.url;
    tcp::resolver resolver(self->ioc);
    auto [rec, endpoints] = co_await resolver.async_resolve(u.host, std::to_string(u.port), use_tuple);
    if (l != self->cur) co_return;
    if (rec) {
      self->drop(l, redis_failure::connect,
                 "could not resolve the Redis host of " + self->where + ": " + rec.message());
      co_return;
    }
    if (u.tls) {
      if (!self->tls) {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
        boost::system::error_code ec;
        if (self->opt.tls_ca_file.empty()) {
          ctx->set_default_verify_paths(ec);
        } else {
          ctx->load_verify_file(self->opt.tls_ca_file, ec);
        }
        if (ec) {
          self->drop(l, redis_failure::tls, "could not load the CA certificates for Redis TLS: " + ec.message());
          co_return;
        }
        ctx->set_verify_mode(ssl::verify_peer);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        self->tls = std::move(ctx);
      }
      l->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(self->ioc, *self->tls);
    } else {
      l->plain.emplace(self->ioc);
    }
    auto& low = l->lowest();
    low.expires_after(self->opt.connect_timeout);  // covers TLS, AUTH and SELECT too
    auto [cec, ep] = co_await low.async_connect(endpoints, use_tuple);
    if (l != self->cur) co_return;
    if (cec) {
      const std::string why = cec == beast::error::timeout
                                  ? "timed out connecting to Redis at " + self->where + " after " +
                                        std::to_string(self->opt.connect_timeout.count()) + " ms"
                                  : "could not connect to Redis at " + self->where + ": " + cec.message();
      self->drop(l, redis_failure::connect, why);
      co_return;
    }
    boost::system::error_code ignored;
    low.socket().set_option(tcp::no_delay(true), ignored);

    if (l->secure) {
      // SNI carries DNS names only (RFC 6066); the certificate must name the
      // host either way (a DNS name or an IP address SAN).
      boost::system::error_code not_ip;
      asio::ip::make_address(u.host, not_ip);
      if (not_ip) SSL_set_tlsext_host_name(l->secure->native_handle(), u.host.c_str());
      l->secure->set_verify_callback(ssl::host_name_verification(u.host));
      auto [hec] = co_await l->secure->async_handshake(ssl::stream_base::client, use_tuple);
      if (l != self->cur) co_return;
      if (hec) {
        const std::string why = hec == beast::error::timeout
                                    ? "timed out in the TLS handshake with Redis at " + self->where
                                    : "TLS handshake with Redis at " + self->where + " failed: " + hec.message();
        self->drop(l, redis_failure::tls, why);
        co_return;
      }
    }

    std::string hello;
    std::size_t expected = 0;
    if (!u.password.empty()) {
      redis_command auth{"AUTH"};
      if (!u.user.empty()) auth.push_back(u.user);
      auth.push_back(u.password);
      encode(hello, auth);
      ++expected;
    }
    if (u.db != 0) {
      const redis_command select{"SELECT", std::to_string(u.db)};
      encode(hello, select);
      ++expected;
    }
    if (expected > 0) {
      const auto wec = co_await write_all(*l, hello);
      if (l != self->cur) co_return;
      std::string error;
      std::optional<std::vector<redis_reply>> replies;
      if (!wec) replies = co_await read_replies(*l, expected, error);
      if (l != self->cur) co_return;
      if (!replies) {
        self->drop(l, redis_failure::connect,
                   "Redis at " + self->where + " did not complete AUTH/SELECT: " + (wec ? wec.message() : error));
        co_return;
      }
      for (std::size_t i = 0; i < replies->size(); ++i) {
        if (!(*replies)[i].is_error()) continue;
        const bool is_auth = i == 0 && !u.password.empty();
        const std::string what = is_auth ? (u.user.empty() ? "AUTH with the password" : "AUTH as user '" + u.user + "'")
                                         : "SELECT " + std::to_string(u.db);
        self->drop(l, redis_failure::auth, "Redis at " + self->where + " refused " + what + ": " + (*replies)[i].str);
        co_return;
      }
    }
    low.expires_never();
    self->st = state::connected;
    self->backoff = std::chrono::milliseconds{0};
    ++self->stats.connects;
    asio::co_spawn(self->ioc, read_loop(self, l), asio::detached);
    self->kick_writer();
  }

  // `batch` is only read before the first suspension (encoded into `out`),
  // so a view of the caller's commands is enough.
  asio::awaitable<std::vector<redis_result>> submit(std::span<const redis_command> batch,
                                                    std::chrono::milliseconds timeout) {
    auto self = shared_from_this();  // the connection may be destroyed while we wait
    std::vector<redis_result> results;
    if (closed) {
      results.assign(batch.size(), redis_error{redis_failure::disconnected, "the Redis connection is closed"});
      co_return results;
    }
    for (const auto& c : batch) {
      if (c.empty()) {
        results.assign(batch.size(), redis_error{redis_failure::protocol, "an empty Redis command"});
        co_return results;
      }
    }
    if (st == state::idle) {
      const auto now = clock::now();
      if (now < retry_at) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - now).count();
        results.assign(batch.size(), redis_error{redis_failure::backing_off,
                                                 "Redis at " + where + " is unavailable (" + last_error +
                                                     "); next connect attempt in " + std::to_string(left) + " ms"});
        co_return results;
      }
      start_connect();
    }
    auto w = std::make_shared<waiter>(ioc.get_executor());
    w->results.assign(batch.size(), redis_error{redis_failure::disconnected, "no reply"});
    w->remaining = batch.size();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      encode(out, batch[i]);
      pending.push_back({w, i});
    }
    out_count += batch.size();
    kick_writer();
    w->timer.expires_after(timeout);
    co_await w->timer.async_wait(use_tuple);
    if (!w->done) {
      w->done = true;
      const std::string why = "Redis at " + where + " did not answer within " + std::to_string(timeout.count()) + " ms";
      for (auto& r : w->results) r = redis_error{redis_failure::timeout, why};
      // Its reply may still come; the connection is closed rather than left
      // holding commands behind one the server did not answer.
      drop(cur, redis_failure::timeout, why + " (another command on the connection timed out)");
    }
    co_return std::move(w->results);
  }
};

redis_connection::redis_connection(asio::io_context& ioc, redis_options options)
    : impl_(std::make_shared<impl>(ioc, std::move(options))) {}

redis_connection::~redis_connection() {
  impl_->drop(impl_->cur, redis_failure::disconnected, "the Redis connection was closed");
  impl_->closed = true;
}

asio::awaitable<std::optional<redis_error>> redis_connection::connect() {
  const redis_command ping{"PING"};
  auto r = co_await impl_->submit(std::span(&ping, 1), impl_->opt.connect_timeout + impl_->opt.command_timeout);
  if (!r[0]) co_return r[0].error();
  if (r[0]->is_error()) co_return redis_error{redis_failure::protocol, "PING failed: " + r[0]->str};
  co_return std::nullopt;
}

asio::awaitable<redis_result> redis_connection::command(const redis_command& args) {
  auto r = co_await impl_->submit(std::span(&args, 1), impl_->opt.command_timeout);
  co_return std::move(r[0]);
}

asio::awaitable<std::vector<redis_result>> redis_connection::commands(const std::vector<redis_command>& batch) {
  co_return co_await impl_->submit(batch, impl_->opt.command_timeout);
}

asio::awaitable<redis_result> redis_connection::script_load(const redis_script& script) {
  // A named vector: GCC 12 cannot take a braced list as a coroutine's argument.
  redis_command cmd;
  cmd.push_back("SCRIPT");
  cmd.push_back("LOAD");
  cmd.push_back(script.source);
  co_return co_await command(std::move(cmd));
}

redis_command evalsha_command(const redis_script& script, std::vector<std::string> keys,
                              std::vector<std::string> args) {
  redis_command cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back("EVALSHA");
  cmd.push_back(script.sha1);
  cmd.push_back(std::to_string(keys.size()));
  for (auto& k : keys) cmd.push_back(std::move(k));
  for (auto& a : args) cmd.push_back(std::move(a));
  return cmd;
}

asio::awaitable<redis_result> redis_connection::evalsha(const redis_script& script, std::vector<std::string> keys,
                                                        std::vector<std::string> args) {
  redis_command cmd = evalsha_command(script, std::move(keys), std::move(args));
  auto r = co_await command(cmd);
  if (!r || !r->is_error_with("NOSCRIPT")) co_return r;
  auto loaded = co_await script_load(script);
  if (!loaded) co_return loaded;
  if (loaded->is_error()) co_return loaded;
  co_return co_await command(cmd);
}

bool redis_connection::healthy() const { return impl_->backoff.count() == 0; }

redis_connection::counters redis_connection::stats() const { return impl_->stats; }

const redis_options& redis_connection::options() const { return impl_->opt; }

}  // namespace llmgw::store
