#pragma once
// N worker threads, each with its own io_context and its own SO_REUSEPORT
// listener: shared nothing on the hot path. Stops on SIGINT/SIGTERM after
// draining open connections.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/memory_budget.hpp"
#include "http/server.hpp"

namespace llmgw::http {

struct worker_handlers {
  handler on_request;
  error_renderer render_error;
  rejection_observer on_rejected;  // optional
};

class worker_pool {
 public:
  explicit worker_pool(unsigned workers);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Builds one server per worker with the handlers `make` returns for that
  // worker's io_context and memory budget (options.max_buffer_bytes), binds them (with port 0 the first bind picks the
  // port and the others share it) and starts the threads. Throws when the
  // address cannot be bound, also when another socket already listens on
  // the port and options.share_port is off.
  void start(server_options options,
             const std::function<worker_handlers(boost::asio::io_context&, memory_budget&)>& make);
  std::uint16_t port() const { return port_; }
  // The process's cap on client connections (server_options.max_connections,
  // or what the descriptor limit allows when that is 0).
  std::size_t max_connections() const { return max_connections_; }

  // Takes over SIGINT and SIGTERM from now on: one that arrives before
  // run_until_signalled() waits is kept for it, instead of killing the
  // process with the default action. Call it before announcing readiness.
  void catch_signals();

  // Blocks until SIGINT or SIGTERM (caught from catch_signals() on, or from
  // now when it was not called), then drains: listeners close, idle
  // connections close, busy ones finish their response (up to
  // drain_timeout; then the requests still running are stopped and end
  // their responses with an error, within k_stop_grace), and the threads are joined.
  void run_until_signalled(std::chrono::milliseconds drain_timeout = std::chrono::seconds(10));

  // The same drain, started by the caller (in-process use).
  void stop(std::chrono::milliseconds drain_timeout = std::chrono::seconds(2));

  static constexpr std::chrono::milliseconds k_stop_grace{2'000};

 private:
  struct worker;
  struct signal_watch;
  std::size_t open_connections();
  bool wait_closed(std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<signal_watch> signals_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::uint16_t port_ = 0;
  std::size_t max_connections_ = 0;
};

}  // namespace llmgw::http
