#include "usage/access_log_sink.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace llmgw::usage {
namespace {

// A temporary file the sink appends to; read back whole.
struct temp_log {
  std::string path;
  temp_log() {
    char name[] = "/tmp/llmgw-access-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    path = name;
  }
  ~temp_log() { std::remove(path.c_str()); }
  std::vector<std::string> lines() const {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

request_record full_record() {
  request_record r;
  r.ended = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  r.request_id = "req_0123456789abcdef01234567";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.key_name = "team \"a\"";
  r.model = "gpt-4o-mini";
  r.served_model = "gpt-4o-mini-2024-07-18";
  r.provider = "openai";
  r.status = 200;
  r.stream = true;
  r.client_api = "openai";
  r.key_id = "key_0123456789ab";
  r.attempts.resize(2);
  r.attempts[0] = {"dead", "gpt-4o-mini", 0, "could not connect", 1.25, -1, 1.5};
  r.attempts[1] = {"openai", "gpt-4o-mini-2024-07-18", 200, "", 0, 2.5, 10};
  r.reasoning_tokens = 2;
  r.usage = usage_source::vendor;
  r.bytes_in = 120;
  r.bytes_out = 480;
  r.latency_ms = 12.345;
  r.ttfb_ms = 3.5;
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.total_tokens = 15;
  r.cached_tokens = 0;
  return r;
}

TEST(access_log_sink, one_json_line_per_record_with_type_access) {
  temp_log log;
  {
    access_log_sink sink(open_access_log_file(log.path), true);
    sink.add(full_record());
    sink.flush();
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto v = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(v.at("ts").as_string(), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(v.at("type").as_string(), "access");
  EXPECT_EQ(v.at("request_id").as_string(), "req_0123456789abcdef01234567");
  EXPECT_EQ(v.at("method").as_string(), "POST");
  EXPECT_EQ(v.at("path").as_string(), "/v1/chat/completions");
  EXPECT_EQ(v.at("key").as_string(), "team \"a\"");
  EXPECT_EQ(v.at("model").as_string(), "gpt-4o-mini");
  EXPECT_EQ(v.at("served_model").as_string(), "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(v.at("provider").as_string(), "openai");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("stream").as_bool(), true);
  EXPECT_EQ(v.at("attempts").as_int64(), 2);
  EXPECT_DOUBLE_EQ(v.at("latency_ms").to_number<double>(), 12.35);
  EXPECT_DOUBLE_EQ(v.at("ttfb_ms").to_number<double>(), 3.5);
  EXPECT_EQ(v.at("prompt_tokens").as_int64(), 10);
  EXPECT_EQ(v.at("completion_tokens").as_int64(), 5);
  EXPECT_EQ(v.at("total_tokens").as_int64(), 15);
  EXPECT_EQ(v.at("cached_tokens").as_int64(), 0);
  EXPECT_TRUE(v.at("cache_write_tokens").is_null());
  EXPECT_EQ(v.at("reasoning_tokens").as_int64(), 2);
  EXPECT_EQ(v.at("usage_source").as_string(), "vendor");
  EXPECT_EQ(v.at("cache").as_string(), "none");
  EXPECT_EQ(v.at("api").as_string(), "openai");
  EXPECT_EQ(v.at("key_id").as_string(), "key_0123456789ab");
  EXPECT_EQ(v.at("bytes_in").as_int64(), 120);
  EXPECT_EQ(v.at("bytes_out").as_int64(), 480);
  EXPECT_FALSE(v.contains("error"));
  // Every attempt in order, what it got and where its time went.
  const auto& route = v.at("route").as_array();
  ASSERT_EQ(route.size(), 2u);
  const auto& dead = route[0].as_object();
  EXPECT_EQ(dead.at("provider").as_string(), "dead");
  EXPECT_EQ(dead.at("status").as_int64(), 0);
  EXPECT_EQ(dead.at("error").as_string(), "could not connect");
  EXPECT_DOUBLE_EQ(dead.at("connect_ms").to_number<double>(), 1.25);
  EXPECT_TRUE(dead.at("first_byte_ms").is_null());
  const auto& ok = route[1].as_object();
  EXPECT_EQ(ok.at("model").as_string(), "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(ok.at("status").as_int64(), 200);
  EXPECT_FALSE(ok.contains("error"));
  EXPECT_DOUBLE_EQ(ok.at("connect_ms").to_number<double>(), 0);
  EXPECT_DOUBLE_EQ(ok.at("first_byte_ms").to_number<double>(), 2.5);
  EXPECT_DOUBLE_EQ(ok.at("ms").to_number<double>(), 10);
}

TEST(access_log_sink, unknown_values_are_null_and_an_error_is_named) {
  temp_log log;
  access_log_sink sink(open_access_log_file(log.path), true);
  request_record r;
  r.request_id = "req_x";
  r.method = "GET";
  r.path = "/v1/nope\n";
  r.status = 404;
  r.error = "not_found";
  sink.add(r);
  sink.flush();
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);  // the newline in the path is escaped
  const auto v = boost::json::parse(lines[0]).as_object();
  for (const char* k : {"key", "model", "served_model", "provider", "ttfb_ms", "prompt_tokens", "completion_tokens",
                        "total_tokens", "cached_tokens"}) {
    EXPECT_TRUE(v.at(k).is_null()) << k;
  }
  EXPECT_EQ(v.at("path").as_string(), "/v1/nope\n");
  EXPECT_EQ(v.at("error").as_string(), "not_found");
  EXPECT_FALSE(v.contains("dropped_params"));  // only when something was dropped
}

TEST(access_log_sink, dropped_parameters_are_listed) {
  temp_log log;
  access_log_sink sink(open_access_log_file(log.path), true);
  request_record r = full_record();
  r.dropped_params = {"top_p", "seed"};
  sink.add(r);
  sink.flush();
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(boost::json::parse(lines[0]).at("dropped_params"), boost::json::parse(R"(["top_p","seed"])"));
}

TEST(access_log_sink, a_batch_is_one_write_and_the_file_is_appended_to) {
  temp_log log;
  { std::ofstream(log.path) << "an earlier line\n"; }
  access_log_sink sink(open_access_log_file(log.path), true);
  for (int i = 0; i < 100; ++i) sink.add(full_record());
  EXPECT_EQ(sink.writes(), 0u);  // nothing written before the batch ends
  sink.flush();
  EXPECT_EQ(sink.writes(), 1u);
  sink.flush();  // an empty batch writes nothing
  EXPECT_EQ(sink.writes(), 1u);
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines[0], "an earlier line");
}

TEST(access_log_sink, drops_get_a_line_of_their_own) {
  temp_log log;
  access_log_sink sink(open_access_log_file(log.path), true);
  sink.dropped(7, 12);
  sink.flush();
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto v = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(v.at("type").as_string(), "records_dropped");
  EXPECT_EQ(v.at("records").as_int64(), 7);
  EXPECT_EQ(v.at("total").as_int64(), 12);
}

TEST(access_log_sink, a_failed_write_counts_its_lines_and_does_not_throw) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // nobody reads: the write fails with EPIPE
  std::signal(SIGPIPE, SIG_IGN);
  access_log_sink sink(fds[1], true);
  sink.add(full_record());
  sink.add(full_record());
  sink.flush();
  EXPECT_EQ(sink.lost_lines(), 2u);
}

TEST(access_log_sink, a_path_that_cannot_be_opened_is_named_in_the_error) {
  try {
    open_access_log_file("/nonexistent-dir/access.log");
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("access_log.path: cannot open \"/nonexistent-dir/access.log\""),
              std::string::npos)
        << e.what();
  }
}

// The line, byte for byte, for a record with every part: texts to escape
// (a quote, a control byte, a byte that is not UTF-8, a newline), nulls,
// fixed-point times, a hedge, dropped parameters and two attempts. Pinned
// from the appending formatter the line writer replaced.
TEST(access_log_sink, the_line_of_a_record_with_every_part_byte_for_byte) {
  request_record r = full_record();
  r.model = "gpt-4o-mini\x01\xff\xe2\x82\xac";
  r.error = "upstream \"error\"\n";
  r.dropped_params = {"top_k", "seed"};
  r.hedged = true;
  r.hedge_loser_cost_usd = 0.000123;
  r.cache = cache_status::miss;
  temp_log log;
  {
    access_log_sink sink(open_access_log_file(log.path), true);
    sink.add(r);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      R"LINE({"ts":"2023-11-14T22:13:20.123Z","type":"access","request_id":"req_0123456789abcdef01234567","method":"POST","path":"/v1/chat/completions","api":"openai","key":"team \"a\"","key_id":"key_0123456789ab","model":"gpt-4o-mini\u0001\ufffd€","served_model":"gpt-4o-mini-2024-07-18","provider":"openai","status":200,"stream":true,"attempts":2,"latency_ms":12.35,"ttfb_ms":3.50,"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"cached_tokens":0,"cache_write_tokens":null,"reasoning_tokens":2,"usage_source":"vendor","cache":"miss","bytes_in":120,"bytes_out":480,"error":"upstream \"error\"\n","dropped_params":["top_k","seed"],"hedged":true,"hedge_loser_cost_usd":0.000123,"route":[{"provider":"dead","model":"gpt-4o-mini","status":0,"error":"could not connect","connect_ms":1.25,"first_byte_ms":null,"ms":1.50},{"provider":"openai","model":"gpt-4o-mini-2024-07-18","status":200,"connect_ms":0.00,"first_byte_ms":2.50,"ms":10.00}]})LINE");
}

// Room for a line is counted from its texts at their escaped worst: every
// field at its longest and every byte escaped still fits, and is JSON.
TEST(access_log_sink, a_record_of_texts_that_all_need_escaping_at_their_longest_fits) {
  request_record r = full_record();
  const std::string worst(k_max_field_bytes, '\x01');
  for (auto field : k_text_fields) r.*field = worst;
  r.attempts.resize(k_max_attempts);
  for (auto& a : r.attempts) a = {worst, worst, 599, worst, 1e15, 1e15, -1e15};
  r.dropped_params.assign(20, std::string_view(worst));
  r.latency_ms = 1e300;
  r.hedged = true;
  r.hedge_loser_cost_usd = 1.0000000000000002e-300;
  temp_log log;
  {
    access_log_sink sink(open_access_log_file(log.path), true);
    sink.add(r);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto v = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(v.at("model").as_string(), worst);
  EXPECT_EQ(v.at("route").as_array().size(), k_max_attempts);
}

}  // namespace
}  // namespace llmgw::usage
