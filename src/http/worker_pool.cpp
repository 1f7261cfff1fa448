#include "http/worker_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>
#include <atomic>
#include <cstdio>
#include <future>

namespace llmgw::http {

namespace asio = boost::asio;

struct worker_pool::worker {
  // One thread runs each context and only it starts I/O on its sockets, so
  // the reactor may skip per-descriptor locking; posts from other threads
  // (drain) still go through the scheduler's lock.
  // Declared first, destroyed last: connections still open when the
  // io_context is destroyed give their charges back to it.
  std::unique_ptr<memory_budget> budget;
  asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::unique_ptr<server> srv;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
  std::thread thread;
};

struct worker_pool::signal_watch {
  asio::io_context ctx;
  asio::signal_set set{ctx, SIGINT, SIGTERM};
};

worker_pool::worker_pool(unsigned workers) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) workers_.push_back(std::make_unique<worker>());
}

worker_pool::~worker_pool() { stop(std::chrono::milliseconds(0)); }

namespace {

std::size_t default_max_connections() {
  // Use every descriptor the hard limit allows, then leave room for each
  // client connection's upstream connection and a reserve for listeners,
  // the log and files: with 20,000 descriptors, 9,968 clients.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 4096;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  constexpr rlim_t k_reserved = 64;
  if (rl.rlim_cur == RLIM_INFINITY) return 1'000'000;
  if (rl.rlim_cur <= 2 * k_reserved) return 16;
  return static_cast<std::size_t>((rl.rlim_cur - k_reserved) / 2);
}

}  // namespace

void worker_pool::start(server_options options,
                        const std::function<worker_handlers(asio::io_context&, memory_budget&)>& make) {
  if (options.max_connections == 0) options.max_connections = default_max_connections();
  max_connections_ = options.max_connections;
  // One count for the whole process: the cap is per process, not per worker.
  options.connection_count = std::make_shared<std::atomic<std::size_t>>(0);
  for (auto& w : workers_) {
    w->budget = std::make_unique<memory_budget>(options.max_buffer_bytes);
    auto h = make(w->ioc, *w->budget);
    w->srv = std::make_unique<server>(w->ioc, options, std::move(h.on_request), std::move(h.render_error),
                                      w->budget.get(), std::move(h.on_rejected));
    port_ = w->srv->listen();
    options.port = port_;  // the others join the first one's port
    options.share_port = true;
  }
  for (auto& w : workers_) {
    w->srv->start();
    w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  }
}

namespace {

// Runs f on each worker's thread and waits for all of them.
template <class Workers, class F>
void on_each_worker(Workers& workers, F f) {
  for (auto& w : workers) {
    if (!w->thread.joinable()) continue;
    std::promise<void> done;
    auto finished = done.get_future();
    asio::post(w->ioc, [&w, &done, &f] {
      f(*w);
      done.set_value();
    });
    finished.wait();
  }
}

}  // namespace

std::size_t worker_pool::open_connections() {
  std::size_t open = 0;
  on_each_worker(workers_, [&open](worker& w) { open += w.srv->open_connections(); });
  return open;
}

bool worker_pool::wait_closed(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (open_connections() == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void worker_pool::stop(std::chrono::milliseconds drain_timeout) {
  // Listeners close and idle connections with them; requests in flight have
  // drain_timeout to finish. Those still running then are asked to stop and
  // end their responses properly (a stream gets its error event and its
  // closing chunk), which gets a short grace of its own.
  on_each_worker(workers_, [](worker& w) { w.srv->drain(); });
  if (!wait_closed(std::chrono::steady_clock::now() + drain_timeout) && drain_timeout.count() > 0) {
    on_each_worker(workers_, [](worker& w) { w.srv->stop_in_flight(); });
    wait_closed(std::chrono::steady_clock::now() + k_stop_grace);
  }
  // Whatever is still open is cut, and each worker runs until its request
  // coroutines have ended on their own: destroying one suspended inside a
  // handler after the handler's state is gone would touch freed memory.
  on_each_worker(workers_, [](worker& w) { w.srv->close_all(); });
  for (auto& w : workers_) w->guard.reset();
  const auto deadline = std::chrono::steady_clock::now() + k_stop_grace;
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    while (!w->ioc.stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    w->ioc.stop();
    w->thread.join();
  }
}

void worker_pool::catch_signals() {
  if (!signals_) signals_ = std::make_unique<signal_watch>();
}

void worker_pool::run_until_signalled(std::chrono::milliseconds drain_timeout) {
  catch_signals();
  signals_->set.async_wait([](const boost::system::error_code&, int) {});
  signals_->ctx.run();
  stop(drain_timeout);
}

}  // namespace llmgw::http
