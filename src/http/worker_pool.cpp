#include "http/worker_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <future>

namespace llmgw::http {

namespace asio = boost::asio;

struct worker_pool::worker {
  // One thread runs each context and only it starts I/O on its sockets, so
  // the reactor may skip per-descriptor locking; posts from other threads
  // (drain) still go through the scheduler's lock.
  asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::unique_ptr<memory_budget> budget;
  std::unique_ptr<server> srv;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
  std::thread thread;
};

worker_pool::worker_pool(unsigned workers) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) workers_.push_back(std::make_unique<worker>());
}

worker_pool::~worker_pool() { stop(std::chrono::milliseconds(0)); }

void worker_pool::start(server_options options,
                        const std::function<worker_handlers(asio::io_context&, memory_budget&)>& make) {
  for (auto& w : workers_) {
    w->budget = std::make_unique<memory_budget>(options.max_buffer_bytes);
    auto h = make(w->ioc, *w->budget);
    w->srv = std::make_unique<server>(w->ioc, options, std::move(h.on_request), std::move(h.render_error),
                                      w->budget.get());
    port_ = w->srv->listen();
    options.port = port_;  // the others join the first one's port
  }
  for (auto& w : workers_) {
    w->srv->start();
    w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  }
}

void worker_pool::stop(std::chrono::milliseconds drain_timeout) {
  // Ask every worker, on its own thread, to drain and report its open
  // connections until they reach zero or the deadline passes.
  auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    std::promise<void> drained;
    auto done = drained.get_future();
    asio::post(w->ioc, [&w, &drained] {
      w->srv->drain();
      drained.set_value();
    });
    done.wait();
  }
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    for (;;) {
      std::promise<std::size_t> open;
      auto count = open.get_future();
      asio::post(w->ioc, [&w, &open] { open.set_value(w->srv->open_connections()); });
      if (count.get() == 0 || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    w->guard.reset();
    w->ioc.stop();
    w->thread.join();
  }
}

void worker_pool::run_until_signalled(std::chrono::milliseconds drain_timeout) {
  asio::io_context signals_ctx;
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_ctx.run();
  stop(drain_timeout);
}

}  // namespace llmgw::http
