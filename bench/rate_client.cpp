// llmgw_rate_client: an open-loop (constant-rate) HTTP/1.1 load client for
// bench/open_loop.sh. See bench/README.md ("Open-loop latency").
//
// A closed-loop client (wrk) sends the next request only when an answer
// came back, so a proxy that stalls also stops the clock of every request it
// would have received meanwhile, and at saturation its p99 is the length of
// the queue the client built. Here request i is due at t0 + i / rate whatever
// happened before; it goes out on any idle keep-alive connection, and its
// latency runs from its due time (not from when it was written) to the last
// byte of its response. A stall therefore shows in the latency of every
// request that fell due during it, whether or not a connection was free.
//
// One thread, epoll, non-blocking sockets; no dependencies beyond POSIX and
// the standard library, so it builds in seconds and costs the shared load
// core as little as possible.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using ns = std::chrono::nanoseconds;

std::int64_t now_ns() { return std::chrono::duration_cast<ns>(clock_type::now().time_since_epoch()).count(); }

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// This process's CPU time so far (user + system). The kernel derives it from
// the scheduler's exact run time, unlike the per-core tick counts of
// /proc/stat, which miss most of a core's short bursts when it idles between
// them.
std::int64_t cpu_ns() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + std::int64_t{t.tv_usec} * 1000; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "llmgw_rate_client: %s\n", why.c_str());
  std::exit(2);
}

struct options {
  std::string url;
  double rate = 1000;
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 5;  // after the last due time, how long answers may still come
  int conns = 64;
  std::string body_file;
  std::string key = "sk-bench";
  std::vector<std::string> headers;
  bool rx_timestamps = true;  // the kernel's receive time ends a latency, not the time this loop read it
};

constexpr const char* k_usage =
    "usage: llmgw_rate_client --url http://HOST:PORT/PATH --rate N [--duration S] [--warmup S]\n"
    "                         [--conns N] [--body-file FILE] [--key KEY] [--header 'Name: value']...\n"
    "                         [--drain S] [--no-rx-timestamps]\n"
    "Sends POST requests at a constant rate (request i due at t0 + i/rate) over N keep-alive\n"
    "connections; latency runs from each request's due time to the last byte of its answer,\n"
    "as the kernel stamped its arrival (--no-rx-timestamps: as this client read it).\n"
    "Prints one JSON line. Defaults: --rate 1000 --duration 10 --warmup 2 --conns 64 --drain 5.\n";

double parse_number(std::string_view name, std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v) || v < 0)
    fail(std::string(name) + ": expected a number >= 0, got \"" + std::string(text) + "\"");
  return v;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(k_usage, stdout);
      std::exit(0);
    }
    if (arg == "--no-rx-timestamps") {
      o.rx_timestamps = false;
      continue;
    }
    if (i + 1 >= argc) fail(std::string(arg) + ": missing value (see --help)");
    std::string_view value = argv[++i];
    if (arg == "--url")
      o.url = value;
    else if (arg == "--rate")
      o.rate = parse_number(arg, value);
    else if (arg == "--duration")
      o.duration_s = parse_number(arg, value);
    else if (arg == "--warmup")
      o.warmup_s = parse_number(arg, value);
    else if (arg == "--drain")
      o.drain_s = parse_number(arg, value);
    else if (arg == "--conns")
      o.conns = static_cast<int>(parse_number(arg, value));
    else if (arg == "--body-file")
      o.body_file = value;
    else if (arg == "--key")
      o.key = value;
    else if (arg == "--header")
      o.headers.emplace_back(value);
    else
      fail("unknown option " + std::string(arg) + " (see --help)");
  }
  if (o.url.empty()) fail("--url is required");
  if (o.rate <= 0) fail("--rate must be above 0");
  if (o.duration_s <= 0) fail("--duration must be above 0");
  if (o.conns < 1) fail("--conns must be at least 1");
  for (const auto& h : o.headers)
    if (h.find(':') == std::string::npos || h.find_first_of("\r\n") != std::string::npos)
      fail("--header \"" + h + "\": expected \"Name: value\"");
  return o;
}

struct target {
  std::string host;  // as written in the URL, for the Host header
  std::string port;
  std::string path;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
};

target parse_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) fail("--url " + url + ": only http:// URLs");
  std::string rest = url.substr(scheme.size());
  target t;
  auto slash = rest.find('/');
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  auto colon = authority.rfind(':');
  if (colon == std::string::npos || authority.back() == ']') {
    t.host = authority;
    t.port = "80";
  } else {
    t.host = authority.substr(0, colon);
    t.port = authority.substr(colon + 1);
  }
  std::string lookup = t.host;
  if (lookup.size() > 2 && lookup.front() == '[') lookup = lookup.substr(1, lookup.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(lookup.c_str(), t.port.c_str(), &hints, &found); rc != 0)
    fail("--url " + url + ": " + gai_strerror(rc));
  std::memcpy(&t.addr, found->ai_addr, found->ai_addrlen);
  t.addr_len = found->ai_addrlen;
  freeaddrinfo(found);
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

// Case-insensitive "does this header line start with NAME:"; returns the
// trimmed value when it does.
std::optional<std::string_view> header_value(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return std::nullopt;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return std::nullopt;
  std::string_view v = line.substr(name.size() + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool contains_token(std::string_view value, std::string_view token) {
  std::string lower(value);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

// One response read incrementally from a connection's input buffer. Only what
// a load client needs: the status, where the body ends (Content-Length,
// chunked, or the end of the connection) and whether the server closes.
struct response_parser {
  enum class result { need_more, done, bad };

  bool headers_done = false;
  int status = 0;
  bool chunked = false;
  bool close = false;
  std::int64_t content_length = -1;
  std::size_t cursor = 0;  // chunked: where the next chunk-size line starts

  void reset() { *this = response_parser{}; }

  // On done, `consumed` is the length of the response in `in`.
  result feed(std::string_view in, std::size_t& consumed) {
    if (!headers_done) {
      auto end = in.find("\r\n\r\n");
      if (end == std::string_view::npos) return in.size() > (1 << 20) ? result::bad : result::need_more;
      std::string_view head = in.substr(0, end);
      auto eol = head.find("\r\n");
      std::string_view status_line = head.substr(0, eol);
      if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return result::bad;
      auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
      if (ec != std::errc{} || p != status_line.data() + 12) return result::bad;
      if (status_line.substr(0, 8) == "HTTP/1.0") close = true;
      while (eol != std::string_view::npos) {
        auto start = eol + 2;
        eol = head.find("\r\n", start);
        std::string_view line = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
        if (auto v = header_value(line, "content-length")) {
          std::int64_t n = 0;
          auto [q, ec2] = std::from_chars(v->data(), v->data() + v->size(), n);
          if (ec2 != std::errc{} || q != v->data() + v->size() || n < 0) return result::bad;
          content_length = n;
        } else if (auto te = header_value(line, "transfer-encoding")) {
          chunked = contains_token(*te, "chunked");
        } else if (auto c = header_value(line, "connection")) {
          if (contains_token(*c, "close"))
            close = true;
          else if (contains_token(*c, "keep-alive"))
            close = false;
        }
      }
      headers_done = true;
      cursor = end + 4;
      // 204 and 304 carry no body. (No 1xx can come: no Expect header is sent.)
      if (status == 204 || status == 304) {
        content_length = 0;
        chunked = false;
      }
    }
    if (chunked) return feed_chunks(in, consumed);
    if (content_length >= 0) {
      if (in.size() - cursor < static_cast<std::size_t>(content_length)) return result::need_more;
      consumed = cursor + static_cast<std::size_t>(content_length);
      return result::done;
    }
    close = true;  // no length: the body ends with the connection (see on_eof)
    return result::need_more;
  }

  result feed_chunks(std::string_view in, std::size_t& consumed) {
    for (;;) {
      auto eol = in.find("\r\n", cursor);
      if (eol == std::string_view::npos) return result::need_more;
      std::string_view line = in.substr(cursor, eol - cursor);
      auto semi = line.find(';');
      if (semi != std::string_view::npos) line = line.substr(0, semi);
      while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
      std::uint64_t size = 0;
      auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
      if (ec != std::errc{} || p != line.data() + line.size() || line.empty()) return result::bad;
      if (size == 0) {
        // The last chunk, then trailers (usually none) and an empty line:
        // without trailers the "\r\n" ending the size line is followed by it.
        auto end = in.find("\r\n\r\n", eol);
        if (end == std::string_view::npos) return result::need_more;
        consumed = end + 4;
        return result::done;
      }
      std::size_t next = eol + 2 + size + 2;
      if (in.size() < next) return result::need_more;
      if (in.substr(next - 2, 2) != "\r\n") return result::bad;
      cursor = next;
    }
  }
};

struct connection {
  int fd = -1;
  enum class state { connecting, idle, busy, dead } st = state::dead;
  std::int64_t idle_since = 0;  // when it last became idle
  std::int64_t due = 0;         // the request in flight: its due time
  bool measured = false;        // ... and whether it falls in the measured window
  std::size_t written = 0;      // bytes of the request written so far
  std::string in;               // bytes of the response read so far
  response_parser parser;
  std::int64_t retry_at = 0;  // dead: when to connect again
};

struct stats {
  std::vector<std::int64_t> latency;  // ns, measured responses
  std::vector<std::int64_t> lag;      // ns from due time to the write, measured requests not late
  std::uint64_t sent = 0;             // measured requests written
  std::uint64_t non_2xx = 0;
  std::uint64_t resets = 0;      // connection closed or failed with a request in flight
  std::uint64_t unfinished = 0;  // no answer by the end of the drain time
  std::uint64_t late = 0;        // no connection was idle at the due time
  std::uint64_t connect_errors = 0;
  std::int64_t last_done = 0;
  std::uint64_t rx_stamped = 0;  // reads that carried the kernel's receive time
};

class client {
 public:
  client(options o, target t, std::string request)
      : opt_(std::move(o)), target_(std::move(t)), request_(std::move(request)) {}

  int run();

 private:
  void open(connection& c);
  void mark_idle(connection& c, std::int64_t now);
  void mark_dead(connection& c, std::int64_t now);
  void dispatch(std::int64_t due, bool measured, std::int64_t now);
  bool write_some(connection& c, std::int64_t now);
  void on_readable(connection& c, std::int64_t now);
  void on_event(connection& c, std::uint32_t events, std::int64_t now);
  void finish(connection& c, std::int64_t now);
  void print(std::int64_t window_start, std::int64_t window_end, std::uint64_t measured_total, double cpu_pct) const;

  options opt_;
  target target_;
  std::string request_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<connection*> idle_;  // a stack: the oldest idle connection at the front
  stats stats_;
  std::int64_t in_flight_ = 0;
};

void client::open(connection& c) {
  c.fd = ::socket(target_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) fail(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt_.rx_timestamps) ::setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  c.in.clear();
  c.parser.reset();
  int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&target_.addr), target_.addr_len);
  if (rc < 0 && errno != EINPROGRESS) {
    ++stats_.connect_errors;
    ::close(c.fd);
    c.fd = -1;
    c.st = connection::state::dead;
    c.retry_at = now_ns() + 50'000'000;
    return;
  }
  c.st = connection::state::connecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.ptr = &c;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) < 0) fail(std::string("epoll_ctl: ") + std::strerror(errno));
}

void client::mark_idle(connection& c, std::int64_t now) {
  c.st = connection::state::idle;
  c.idle_since = now;
  idle_.push_back(&c);
}

void client::mark_dead(connection& c, std::int64_t now) {
  if (c.st == connection::state::idle) std::erase(idle_, &c);
  if (c.st == connection::state::busy) {
    if (c.measured) ++stats_.resets;
    --in_flight_;
  }
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  c.st = connection::state::dead;
  c.retry_at = now;
}

// Writes as much of the request as the socket takes; false when it failed.
bool client::write_some(connection& c, std::int64_t now) {
  while (c.written < request_.size()) {
    ssize_t n = ::send(c.fd, request_.data() + c.written, request_.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // EPOLLOUT resumes it
      if (errno == EINTR) continue;
      mark_dead(c, now);
      return false;
    }
    c.written += static_cast<std::size_t>(n);
  }
  return true;
}

void client::dispatch(std::int64_t due, bool measured, std::int64_t now) {
  // The most recently idle connection (warm caches); the request was late
  // when even the oldest idle one became idle only after its due time.
  if (measured) {
    ++stats_.sent;
    // The send lag of the others is the client's own: how late its loop
    // got to a request it had a connection for.
    if (idle_.front()->idle_since > due)
      ++stats_.late;
    else
      stats_.lag.push_back(now - due);
  }
  connection& c = *idle_.back();
  idle_.pop_back();
  c.st = connection::state::busy;
  c.due = due;
  c.measured = measured;
  c.written = 0;
  ++in_flight_;
  write_some(c, now);
}

// A whole response (any status: a non-2xx is also counted as an error).
void client::finish(connection& c, std::int64_t now) {
  if (c.measured) {
    if (c.parser.status / 100 != 2) ++stats_.non_2xx;
    stats_.latency.push_back(now - c.due);
    stats_.last_done = now;
  }
  --in_flight_;
  c.parser.reset();
  c.st = connection::state::idle;  // mark_dead or mark_idle below decides
}

void client::on_readable(connection& c, std::int64_t now) {
  char buf[64 * 1024];
  for (;;) {
    // The kernel's receive time of the bytes read (SO_TIMESTAMPNS): when the
    // answer arrived, however late this loop gets to it on a busy load core.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(c.fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      mark_dead(c, now);
      return;
    }
    if (n == 0) {
      // A response without a length ends here; anything else in flight was cut off.
      if (c.st == connection::state::busy && c.parser.headers_done && !c.parser.chunked &&
          c.parser.content_length < 0) {
        finish(c, now);
      }
      mark_dead(c, now);
      return;
    }
    if (c.st != connection::state::busy) {  // bytes nobody asked for
      mark_dead(c, now);
      return;
    }
    c.in.append(buf, static_cast<std::size_t>(n));
    std::int64_t arrived = now;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS) continue;
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
      // A realtime stamp: to the steady clock through their offset now.
      std::int64_t real = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
      std::int64_t stamped = real - (realtime_ns() - now_ns());
      if (stamped > 0 && stamped < arrived) arrived = stamped;
      ++stats_.rx_stamped;
    }
    std::size_t consumed = 0;
    auto r = c.parser.feed(c.in, consumed);
    if (r == response_parser::result::bad) {
      mark_dead(c, now);
      return;
    }
    if (r == response_parser::result::done) {
      bool close = c.parser.close;
      c.in.erase(0, consumed);
      finish(c, arrived);
      if (close || !c.in.empty()) {
        mark_dead(c, now);
      } else {
        mark_idle(c, now);
      }
      return;
    }
    if (static_cast<std::size_t>(n) < sizeof buf) return;  // drained the socket for now
  }
}

void client::on_event(connection& c, std::uint32_t events, std::int64_t now) {
  if (c.st == connection::state::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      ++stats_.connect_errors;
      mark_dead(c, now);
      c.retry_at = now + 50'000'000;  // a refused connect is not retried in a tight loop
      return;
    }
    if (!(events & EPOLLOUT)) return;
    // Connected: from now on only readability matters, and writability while
    // a request is half written.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    mark_idle(c, now);
    return;
  }
  if (c.st == connection::state::busy && (events & EPOLLOUT) && c.written < request_.size()) {
    if (!write_some(c, now)) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c, now);
}

int client::run() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) fail(std::string("epoll_create1: ") + std::strerror(errno));

  // Connections are opened before the clock starts, so the first requests do
  // not wait for handshakes.
  for (int i = 0; i < opt_.conns; ++i) {
    conns_.push_back(std::make_unique<connection>());
    open(*conns_.back());
  }
  std::vector<epoll_event> events(256);
  const std::int64_t setup_deadline = now_ns() + 5'000'000'000;
  while (idle_.size() < conns_.size()) {
    std::int64_t now = now_ns();
    if (now > setup_deadline) break;
    int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    now = now_ns();
    for (int i = 0; i < n; ++i) on_event(*static_cast<connection*>(events[i].data.ptr), events[i].events, now);
    for (auto& c : conns_)
      if (c->st == connection::state::dead && c->retry_at <= now) open(*c);
  }
  if (idle_.empty()) fail("could not connect to " + opt_.url);
  if (idle_.size() < conns_.size())
    std::fprintf(stderr, "llmgw_rate_client: only %zu of %zu connections open\n", idle_.size(), conns_.size());

  const double period_ns = 1e9 / opt_.rate;
  const auto warmup_total = static_cast<std::uint64_t>(std::llround(opt_.warmup_s * opt_.rate));
  const auto measured_total = static_cast<std::uint64_t>(std::llround(opt_.duration_s * opt_.rate));
  const std::uint64_t total = warmup_total + measured_total;
  stats_.latency.reserve(measured_total);
  stats_.lag.reserve(measured_total);

  const std::int64_t t0 = now_ns() + 1'000'000;
  const std::int64_t cpu0 = cpu_ns();
  auto due_of = [&](std::uint64_t i) { return t0 + static_cast<std::int64_t>(std::llround(i * period_ns)); };
  const std::int64_t window_start = due_of(warmup_total);
  const std::int64_t window_end = due_of(total);
  const std::int64_t give_up = window_end + static_cast<std::int64_t>(opt_.drain_s * 1e9);

  std::uint64_t next = 0;
  for (;;) {
    std::int64_t now = now_ns();
    // Everything due by now goes out, while a connection is free.
    while (next < total && !idle_.empty()) {
      std::int64_t due = due_of(next);
      if (due > now) break;
      dispatch(due, next >= warmup_total, now);
      ++next;
      now = now_ns();
    }
    if (next >= total && in_flight_ == 0) break;
    if (now >= give_up) break;

    for (auto& c : conns_)
      if (c->st == connection::state::dead && c->retry_at <= now) open(*c);

    // Sleep until the next due time, unless requests are waiting for a
    // connection (then only a response or a connect can help).
    std::int64_t wake = give_up;
    if (next < total && !idle_.empty()) wake = std::min(wake, due_of(next));
    for (auto& c : conns_)
      if (c->st == connection::state::dead) wake = std::min(wake, c->retry_at);
    std::int64_t delta = std::max<std::int64_t>(0, wake - now);
    timespec timeout{};
    timeout.tv_sec = delta / 1'000'000'000;
    timeout.tv_nsec = delta % 1'000'000'000;
    int n = ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0 && errno != EINTR) fail(std::string("epoll_pwait2: ") + std::strerror(errno));
    now = now_ns();
    for (int i = 0; i < n; ++i) on_event(*static_cast<connection*>(events[i].data.ptr), events[i].events, now);
  }

  // Measured requests that never went out or never came back.
  std::uint64_t measured_sent = stats_.sent;
  stats_.unfinished = (measured_total - measured_sent);
  for (auto& c : conns_)
    if (c->st == connection::state::busy && c->measured) ++stats_.unfinished;
  const std::int64_t wall = now_ns() - t0;
  print(window_start, window_end, measured_total,
        wall > 0 ? static_cast<double>(cpu_ns() - cpu0) * 100.0 / static_cast<double>(wall) : 0.0);
  return 0;
}

double percentile_us(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

void client::print(std::int64_t window_start, std::int64_t window_end, std::uint64_t measured_total,
                   double cpu_pct) const {
  auto latency = stats_.latency;
  auto lag = stats_.lag;
  std::sort(latency.begin(), latency.end());
  std::sort(lag.begin(), lag.end());
  // Achieved: answered requests over the time from the window's start to the
  // last answer (or to the window's end, when the answers kept up).
  std::int64_t span = std::max(window_end, stats_.last_done) - window_start;
  double achieved = span > 0 ? static_cast<double>(latency.size()) * 1e9 / static_cast<double>(span) : 0;
  double mean = 0;
  for (auto v : latency) mean += static_cast<double>(v);
  if (!latency.empty()) mean /= static_cast<double>(latency.size()) * 1000.0;
  std::uint64_t errors = stats_.non_2xx + stats_.resets + stats_.unfinished;
  std::printf(
      "{\"rate\":%.1f,\"achieved\":%.1f,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"conns\":%d,"
      "\"scheduled\":%llu,\"sent\":%llu,\"requests\":%zu,\"errors\":%llu,\"non_2xx\":%llu,\"resets\":%llu,"
      "\"unfinished\":%llu,\"connect_errors\":%llu,\"late\":%llu,"
      "\"mean_us\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
      "\"send_lag_p99_us\":%.1f,\"send_lag_max_us\":%.1f,\"client_cpu_pct\":%.1f,\"rx_timestamps\":%s}\n",
      opt_.rate, achieved, opt_.duration_s, opt_.warmup_s, opt_.conns, static_cast<unsigned long long>(measured_total),
      static_cast<unsigned long long>(stats_.sent), latency.size(), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(stats_.non_2xx), static_cast<unsigned long long>(stats_.resets),
      static_cast<unsigned long long>(stats_.unfinished), static_cast<unsigned long long>(stats_.connect_errors),
      static_cast<unsigned long long>(stats_.late), mean, percentile_us(latency, 50), percentile_us(latency, 90),
      percentile_us(latency, 99), percentile_us(latency, 99.9),
      latency.empty() ? 0.0 : static_cast<double>(latency.back()) / 1000.0, percentile_us(lag, 99),
      lag.empty() ? 0.0 : static_cast<double>(lag.back()) / 1000.0, cpu_pct, stats_.rx_stamped > 0 ? "true" : "false");
}

std::string build_request(const options& o, const target& t, const std::string& body) {
  std::string r = "POST " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" + t.port + "\r\n";
  r += "Authorization: Bearer " + o.key + "\r\n";
  r += "Content-Type: application/json\r\n";
  for (const auto& h : o.headers) r += h + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  r += body;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse_options(argc, argv);
  target t = parse_url(o.url);
  std::string body = o.body_file.empty() ? std::string("{}") : read_file(o.body_file);
  std::string request = build_request(o, t, body);
  // Wake-ups at the due times, not up to 50 µs later (the default timer slack).
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  client c(std::move(o), std::move(t), std::move(request));
  return c.run();
}
