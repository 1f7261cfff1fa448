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
  void SetUp() override {
    const env_lookup env = fake_env(
        {{"OPENAI_API_KEY", "sk-vendor"}, {"OPENAI_BASE_URL", mock_.base_url()}, {"LLMGW_MASTER_KEY", "sk-test"}});
    auto state = std::make_shared<const gateway_state>(load_config_from_string("{}", env), false);
    gateway_ = std::make_shared<gateway>(ioc_, state, budget_, &records_);
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

  http::testing::reply post(std::string_view path, std::string_view body) {
    http::testing::client c(port_);
    return c.exchange(bhttp::verb::post, std::string(path), std::string(body));
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
                                              "respond"}));
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

}  // namespace
}  // namespace llmgw::api
