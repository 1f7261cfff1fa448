#include "cost/price_reloader.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/stat.h>
#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "cost/litellm_prices.hpp"

namespace llmgw::cost {

namespace asio = boost::asio;

namespace {

// What tells a changed file: its inode (a file replaced by a rename, as
// deploys and editors do), modification time and size. The clock behind
// mtime may tick coarsely, so two same-sized writes in place within one
// tick look the same: SIGHUP is the sure way.
struct file_stamp {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t sec = -1;
  std::int64_t nsec = -1;
  std::int64_t size = -1;
  bool operator==(const file_stamp&) const = default;
};

file_stamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_mtim.tv_sec), static_cast<std::int64_t>(st.st_mtim.tv_nsec),
          static_cast<std::int64_t>(st.st_size)};
}

}  // namespace

std::shared_ptr<const price_catalog> initial_catalog(const std::string& path,
                                                     std::shared_ptr<const price_table> configured,
                                                     const price_table* builtin) {
  auto c = std::make_shared<price_catalog>();
  c->configured = std::move(configured);
  c->builtin = builtin;
  if (!path.empty()) {
    std::string error;
    auto table = load_litellm_file(path, error);
    if (!table) throw std::runtime_error("prices_file: " + error);
    c->file = std::make_shared<const price_table>(std::move(*table));
  }
  return c;
}

struct price_reloader::impl {
  price_book& book;
  std::string path;
  std::shared_ptr<const price_table> configured;
  const price_table* builtin;
  std::chrono::milliseconds poll;
  asio::io_context ctx;
  asio::signal_set hup{ctx};
  asio::steady_timer timer{ctx};
  file_stamp seen;
  std::thread thread;

  impl(price_book& b, std::string p, std::shared_ptr<const price_table> c, const price_table* bt,
       std::chrono::milliseconds every)
      : book(b), path(std::move(p)), configured(std::move(c)), builtin(bt), poll(every) {
    if (!path.empty()) seen = stamp_of(path);
  }

  void wait_signal() {
    hup.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload("SIGHUP");
      wait_signal();
    });
  }

  void wait_tick() {
    timer.expires_after(poll);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      // A file being rewritten may be seen half-written: it then fails to
      // load, the old prices stay, and the next change (its last write) loads.
      if (const file_stamp now = stamp_of(path); now != seen) {
        seen = now;
        reload("the file changed");
      }
      wait_tick();
    });
  }

  bool reload(const char* why) {
    if (path.empty()) {
      std::fprintf(stderr, "llmgw: prices: %s: no prices_file configured, nothing to reload\n", why);
      return false;
    }
    std::string error;
    auto table = load_litellm_file(path, error);
    if (!table) {
      std::fprintf(stderr, "llmgw: prices: %s: keeping the prices in use: %s\n", why, error.c_str());
      return false;
    }
    auto c = std::make_shared<price_catalog>();
    c->configured = configured;
    c->builtin = builtin;
    const std::size_t n = table->size();
    c->file = std::make_shared<const price_table>(std::move(*table));
    book.publish(std::move(c));
    std::fprintf(stderr, "llmgw: prices: %s: loaded %zu models from %s\n", why, n, path.c_str());
    return true;
  }
};

price_reloader::price_reloader(price_book& book, std::string path, std::shared_ptr<const price_table> configured,
                               const price_table* builtin, std::chrono::milliseconds poll)
    : impl_(std::make_unique<impl>(book, std::move(path), std::move(configured), builtin, poll)) {}

price_reloader::~price_reloader() {
  if (impl_->thread.joinable()) {
    impl_->ctx.stop();
    impl_->thread.join();
  }
}

void price_reloader::start() {
  impl_->hup.add(SIGHUP);
  impl_->wait_signal();
  if (!impl_->path.empty()) impl_->wait_tick();
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

bool price_reloader::reload(const char* why) { return impl_->reload(why); }

}  // namespace llmgw::cost
