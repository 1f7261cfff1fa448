// The request pipeline in process: a gateway behind a real server on port 0,
// the mock vendor on its own thread, records read from the worker's queue.
// The stages run in their order; an exception in any of them is a 500 in the
// client's API carrying the request's own id, and every request — answered,
// failed, thrown, or refused by the server before the handler — leaves
// exactly one record.
#include "api/gateway.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api/request_context.hpp"
#include "config/test_env.hpp"
#include "http/test_client.hpp"
#include "limits/memory_limiter.hpp"
#include "mock/mock_vendor.hpp"

namespace llmgw::api {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view k_chat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view k_messages =
    R"({"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})";

class gateway_pipeline : public testing::Test {
 protected:
  // The gateway's config (YAML); the master key is sk-test.
  virtual std::string config_text() const { return "{}"; }

  void SetUp() override {
    const env_lookup env = fake_env(
        {{"OPENAI_API_KEY", "sk-vendor"}, {"OPENAI_BASE_URL", mock_.base_url()}, {"LLMGW_MASTER_KEY", "sk-test"}});
    state_ = std::make_shared<const gateway_state>(load_config_from_string(config_text(), env), false);
    gateway_ = std::make_shared<gateway>(ioc_, state_, budget_, &records_);
    http::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<http::server>(
        ioc_, o, [gw = gateway_](http::request& req, http::response_writer& out) { return gw->handle(req, out); },
        &gateway::render_protocol_error, &budget_,
        [gw = gateway_](const http::rejected_request& r) { gw->record_rejection(r); });
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

  // Set before the first request (the worker thread reads it).
  void on_stage(gateway::stage_listener f) { gateway_->set_stage_listener(std::move(f)); }

  http::testing::reply post(std::string_view path, std::string_view body, std::string_view key = "sk-test") {
    http::testing::client c(port_);
    return c.exchange(bhttp::verb::post, std::string(path), std::string(body),
                      {{"authorization", "Bearer " + std::string(key)}});
  }

  // Every record written so far, after waiting for `n` of them (records are
  // pushed after the response went out).
  std::vector<usage::request_record> records(std::size_t n) {
    for (int i = 0; i < 200 && seen_.size() < n; ++i) {
      records_.consume([this](usage::request_record& r) {
        seen_.emplace_back();
        usage::copy_record(r, seen_.back());
      });
      if (seen_.size() < n) std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(20ms);  // a second record for one request would be here by now
    records_.consume([this](usage::request_record& r) {
      seen_.emplace_back();
      usage::copy_record(r, seen_.back());
    });
    return seen_;
  }

  mock::mock_vendor_thread mock_{mock::mock_options{}};
  asio::io_context ioc_;
  memory_budget budget_{64 * 1024 * 1024};
  usage::record_queue records_{64};
  std::shared_ptr<const gateway_state> state_;
  std::shared_ptr<gateway> gateway_;
  std::unique_ptr<http::server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<usage::request_record> seen_;
};

TEST_F(gateway_pipeline, the_stages_run_in_the_pipelines_order) {
  std::vector<std::string> stages;
  on_stage([&stages](stage s, request_context&) { stages.emplace_back(name_of(s)); });
  const auto r = post("/v1/chat/completions", k_chat);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto recs = records(1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(stages, (std::vector<std::string>{"authenticate", "decode", "route", "admit", "cache_lookup", "attempts",
                                              "respond", "account"}));
  EXPECT_EQ(recs[0].status, 200);
  EXPECT_EQ(recs[0].key_name, "master");
  ASSERT_EQ(recs[0].attempts.size(), 1u);
  EXPECT_EQ(recs[0].attempts[0].provider, "openai");
  EXPECT_EQ(recs[0].attempts[0].status, 200);
  EXPECT_EQ(recs[0].usage, usage::usage_source::vendor);
  EXPECT_EQ(std::string(r.headers["x-request-id"]), recs[0].request_id);
}

// Each stage in turn throws: the client gets a 500 in its own API with the
// request's id, the vendor is called only when the throw comes after the
// attempt began, and there is one record.
TEST_F(gateway_pipeline, an_exception_in_any_stage_is_a_500_in_the_clients_api_and_one_record) {
  stage failing = stage::authenticate;
  on_stage([&failing](stage s, request_context&) {
    if (s == failing) throw std::runtime_error("stage failed on purpose");
  });
  const std::vector<stage> all{stage::authenticate, stage::decode,   stage::route,  stage::admit,
                               stage::cache_lookup, stage::attempts, stage::respond};
  std::size_t expected = 0;
  for (const stage s : all) {
    for (const bool anthropic : {false, true}) {
      failing = s;
      const auto r = anthropic ? post("/v1/messages", k_messages) : post("/v1/chat/completions", k_chat);
      SCOPED_TRACE(std::string(name_of(s)) + (anthropic ? " /v1/messages" : " /v1/chat/completions"));
      EXPECT_EQ(r.status, 500);
      const auto body = json::parse(r.body).as_object();
      if (anthropic) {
        EXPECT_EQ(body.at("type").as_string(), "error");
        EXPECT_EQ(body.at("error").at("type").as_string(), "api_error");
      } else {
        EXPECT_EQ(body.at("error").at("code").as_string(), "internal_error");
      }
      const auto recs = records(++expected);
      ASSERT_EQ(recs.size(), expected) << "one record per request, no more";
      const auto& rec = recs.back();
      EXPECT_EQ(rec.request_id, std::string(r.headers["x-request-id"]));
      EXPECT_EQ(rec.status, 500);
      EXPECT_EQ(rec.error, "internal error");
      EXPECT_EQ(rec.client_api, anthropic ? "anthropic" : "openai");
      if (s == stage::respond) {
        // The vendor had answered: its attempt is in the record.
        ASSERT_EQ(rec.attempts.size(), 1u);
        EXPECT_EQ(rec.attempts[0].status, 200);
        EXPECT_EQ(rec.attempts[0].error, "interrupted");
        EXPECT_GE(rec.attempts[0].total_ms, 0);
      } else {
        EXPECT_TRUE(rec.attempts.empty());
      }
    }
  }
}

TEST_F(gateway_pipeline, a_request_the_server_refuses_before_the_handler_is_one_record) {
  std::string answer;
  {
    http::testing::client c(port_);
    asio::write(c.socket(), asio::buffer(std::string_view("GARBAGE\r\n\r\n")));
    boost::system::error_code ec;
    std::array<char, 4096> buf;
    for (;;) {
      const std::size_t n = c.socket().read_some(asio::buffer(buf), ec);
      if (ec) break;
      answer.append(buf.data(), n);
    }
  }
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  const auto recs = records(1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, 400);
  EXPECT_FALSE(recs[0].error.empty());
  EXPECT_NE(answer.find("x-request-id: " + recs[0].request_id), std::string::npos);
}

TEST_F(gateway_pipeline, an_answer_records_its_timings_and_bytes) {
  const auto r = post("/v1/chat/completions", k_chat);
  ASSERT_EQ(r.status, 200);
  const auto recs = records(1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_GE(recs[0].attempts[0].connect_ms, 0);
  EXPECT_GE(recs[0].attempts[0].first_byte_ms, recs[0].attempts[0].connect_ms);
  EXPECT_GE(recs[0].bytes_in, static_cast<std::int64_t>(k_chat.size()));
  EXPECT_EQ(recs[0].bytes_out, static_cast<std::int64_t>(r.body.size()));
}

// A key allowed one request in flight.
class gateway_with_a_parallel_limit : public gateway_pipeline {
 protected:
  std::string config_text() const override {
    return "keys:\n  - {name: par, key: sk-par, limits: {max_parallel: 1}}\n";
  }
};

// The slot is given back before the answer's last bytes go out, not when
// the request's record is finished after them: a client that sends its next
// request the moment it has the answer must find the slot free. At the
// account stage (the answer is out, the record not yet finished) a new
// request of the key is admitted, for a plain answer, a stream and a
// vendor's error alike. (That the slot refuses a second request while the
// first is in flight: rate_limits.test.mjs.)
TEST_F(gateway_with_a_parallel_limit, the_slot_is_free_once_the_answer_is_out) {
  std::vector<bool> free_at_account;
  on_stage([this, &free_at_account](stage s, request_context& ctx) {
    if (s != stage::account) return;
    ASSERT_NE(ctx.caller_limits, nullptr);
    admission next;
    next.charge_key(ctx.record.key_id, ctx.model, *ctx.caller_limits, 1);
    limits::memory_limiter& limiter = *state_->memory_limiter;
    const limits::decision d = limiter.take_now(next.charges(), limits::token_bucket::clock::now());
    free_at_account.push_back(d.admitted);
    if (d.admitted) {
      for (const auto& c : next.charges()) {
        if (c.kind == limits::unit::parallel) limiter.release(c);
      }
    }
  });
  EXPECT_EQ(post("/v1/chat/completions", k_chat, "sk-par").status, 200);
  const std::string streamed = R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  const auto s = post("/v1/chat/completions", streamed, "sk-par");
  EXPECT_EQ(s.status, 200);
  EXPECT_NE(s.body.find("data: [DONE]"), std::string::npos);
  const std::string refused =
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi [mock:status=400]"}]})";
  EXPECT_EQ(post("/v1/chat/completions", refused, "sk-par").status, 400);
  // The account stage runs after the answer went out: its records say it has.
  ASSERT_EQ(records(3).size(), 3u);
  EXPECT_EQ(free_at_account, (std::vector<bool>{true, true, true}));
}

}  // namespace
}  // namespace llmgw::api
