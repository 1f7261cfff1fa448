#include "api/usage_api.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "api/client_api.hpp"
#include "api/gateway.hpp"
#include "usage/postgres_store.hpp"
#include "usage/sqlite_store.hpp"

namespace llmgw::api {

namespace asio = boost::asio;

namespace {

// The longest a usage query may run before it is stopped.
constexpr std::chrono::milliseconds k_query_timeout{10'000};

}  // namespace

struct usage_queries::impl {
  explicit impl(const usage_config& c) : cfg(c) {}
  usage_config cfg;
  asio::thread_pool pool{1};
  std::unique_ptr<usage::usage_store> store;  // the pool's thread only
};

usage_queries::usage_queries(const usage_config& cfg) : impl_(std::make_unique<impl>(cfg)) {}

usage_queries::~usage_queries() {
  impl_->pool.join();
  impl_->store.reset();
}

namespace {

// On the pool's thread. A coroutine with its arguments in its own frame,
// not a capturing lambda (whose captures the frame would only point to).
asio::awaitable<usage_queries::answer> run_query(usage_queries::impl* self, usage::usage_question q) {
  usage_queries::answer a;
  if (!self->store) {
    if (self->cfg.database_url.empty()) {
      self->store = std::make_unique<usage::sqlite_store>(self->cfg.sqlite_path);
    } else {
      self->store = std::make_unique<usage::postgres_store>(self->cfg.database_url);
    }
  }
  std::vector<usage::query_row> rows;
  if (!self->store->query(usage::usage_sql(q, self->store->dialect()), k_query_timeout, rows, a.error)) {
    a.error = self->store->describe() + ": " + a.error;
    co_return a;
  }
  a.ok = true;
  a.body = usage::render_usage(q, rows);
  co_return a;
}

}  // namespace

asio::awaitable<usage_queries::answer> usage_queries::ask(usage::usage_question q) {
  co_return co_await asio::co_spawn(impl_->pool.get_executor(), run_query(impl_.get(), std::move(q)),
                                    asio::use_awaitable);
}

asio::awaitable<void> gateway::respond_usage(request_context& ctx) {
  if (ctx.req.method() != "GET" && ctx.req.method() != "HEAD") {
    co_await respond_error(ctx, method_not_allowed(ctx.req.method(), ctx.req.path()));
    co_return;
  }
  ctx.skip_record();  // an operator's question about requests, not one
  if (auto refused = authenticate(ctx)) {
    co_await respond_error(ctx, *refused);
    co_return;
  }
  if (!state_->queries) {
    gateway_error e = not_found_error("Usage records are off (usage.enabled: false): there is nothing to report.");
    co_await respond_error(ctx, e);
    co_return;
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::string_view target = ctx.req.target();
  const auto mark = target.find('?');
  auto question =
      usage::parse_usage_question(mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1), now);
  if (!question) {
    co_await respond_error(
        ctx, invalid_request("Invalid '" + question.error().param + "': " + question.error().message + ".",
                             question.error().param));
    co_return;
  }
  // The master key sees every key's requests; any other key its own.
  if (!ctx.caller_is_master) question->key_id = ctx.record.key_id;
  const usage_queries::answer a = co_await state_->queries->ask(*question);
  if (!a.ok) {
    gateway_error e;
    e.status = 503;
    e.type = "api_error";
    e.code = "usage_database_unavailable";
    e.message = "The usage database could not answer: " + a.error;
    co_await respond_error(ctx, e);
    co_return;
  }
  const auto headers = ctx.headers();
  co_await ctx.out.send(200, "application/json", a.body, headers);
}

}  // namespace llmgw::api
