// Golden fixtures of the Anthropic Messages inbound codec: every case folder
// of tests/fixtures/anthropic_inbound/ and every pair of files in it.
#include "providers/anthropic_inbound.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace llmgw::providers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_root = fs::path(LLMGW_SOURCE_DIR) / "tests" / "fixtures" / "anthropic_inbound";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  if (!fs::is_directory(k_root)) return names;
  for (const auto& entry : fs::directory_iterator(k_root)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

json::value parse_json(const std::string& text, const fs::path& where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << where << " is not JSON: " << ec.message();
  return v;
}

std::string translate_stream(const std::string& input, const std::vector<std::size_t>& cuts) {
  messages_stream_writer writer("msg_test", "test-model");
  std::string out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    writer.feed(std::string_view(input).substr(at, cut - at), out);
    at = cut;
  }
  writer.feed(std::string_view(input).substr(at), out);
  writer.finish(out);
  return out;
}

std::vector<std::size_t> random_cuts(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> step(1, 40);
  std::vector<std::size_t> cuts;
  for (std::size_t at = step(rng); at < size; at += step(rng)) cuts.push_back(at);
  return cuts;
}

class anthropic_inbound_golden : public testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return k_root / GetParam(); }
  bool has(const char* name) const { return fs::exists(dir() / name); }
  std::string file(const char* name) const { return read(dir() / name); }
};

TEST_P(anthropic_inbound_golden, matches_expected_files) {
  int pairs = 0;

  if (has("messages_request.json")) {
    ++pairs;
    ASSERT_TRUE(has("openai_request.json"));
    const auto got = messages_to_openai(file("messages_request.json"));
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(parse_json(*got, "messages_to_openai output"),
              parse_json(file("openai_request.json"), dir() / "openai_request.json"))
        << "got: " << *got;
    const auto info = parse_messages_request(file("messages_request.json"));
    ASSERT_TRUE(info.has_value());
    EXPECT_FALSE(info->model.empty());
  }

  if (has("openai_response.json")) {
    ++pairs;
    ASSERT_TRUE(has("messages_response.json"));
    token_usage usage;
    const auto got = openai_to_messages_response(file("openai_response.json"), "test-model", &usage);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    json::value actual = parse_json(*got, "openai_to_messages_response output");
    json::value expected = parse_json(file("messages_response.json"), dir() / "messages_response.json");
    ASSERT_TRUE(actual.is_object());
    ASSERT_TRUE(actual.get_object().at("id").is_string());
    EXPECT_TRUE(actual.get_object().at("id").get_string().starts_with("msg_"));
    actual.get_object().erase("id");
    expected.get_object().erase("id");
    EXPECT_EQ(actual, expected) << "got: " << *got;
    EXPECT_EQ(usage.prompt_tokens, expected.at("usage").at("input_tokens").as_int64() +
                                       expected.at("usage").at("cache_read_input_tokens").as_int64());
  }

  if (has("openai_stream.txt")) {
    ++pairs;
    ASSERT_TRUE(has("messages_stream.txt"));
    const std::string input = file("openai_stream.txt");
    const std::string expected = file("messages_stream.txt");
    EXPECT_EQ(translate_stream(input, {}), expected) << "whole input";
    for (unsigned seed : {1u, 2u, 3u, 4u, 5u, 42u}) {
      EXPECT_EQ(translate_stream(input, random_cuts(input.size(), seed)), expected) << "seed " << seed;
    }
    std::vector<std::size_t> every_byte(input.size() > 0 ? input.size() - 1 : 0);
    for (std::size_t i = 0; i < every_byte.size(); ++i) every_byte[i] = i + 1;
    EXPECT_EQ(translate_stream(input, every_byte), expected) << "byte by byte";
  }

  if (has("gateway_error.json")) {
    ++pairs;
    ASSERT_TRUE(has("anthropic_error.json"));
    ASSERT_TRUE(has("anthropic_status.txt"));
    const json::value in = parse_json(file("gateway_error.json"), dir() / "gateway_error.json");
    gateway_error e;
    e.status = static_cast<int>(in.at("status").as_int64());
    e.type = in.at("type").as_string();
    e.code = in.at("code").as_string();
    e.message = in.at("message").as_string();
    const std::string body = render_anthropic_error(e);
    EXPECT_EQ(parse_json(body, "render_anthropic_error output"),
              parse_json(file("anthropic_error.json"), dir() / "anthropic_error.json"))
        << "got: " << body;
    EXPECT_EQ(std::to_string(anthropic_status_for(e)) + "\n", file("anthropic_status.txt"));
  }

  EXPECT_GT(pairs, 0) << "no known file pair in " << dir();
}

INSTANTIATE_TEST_SUITE_P(fixtures, anthropic_inbound_golden, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(anthropic_inbound_golden_set, has_every_kind_of_case) {
  const auto names = case_names();
  EXPECT_GE(names.size(), 28u);
  for (const char* name : {"system_string", "tool_round_trip", "tool_calls_response", "stream_two_tool_calls",
                           "stream_cut_before_done", "error_503"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

}  // namespace
}  // namespace llmgw::providers
