// Runs every golden fixture under tests/fixtures/<vendor>/<case>/ against
// the vendor's adapter (conventions: tests/fixtures/README.md). One test per
// vendor, with a failure message naming the case and the file pair.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "providers/registry.hpp"

namespace llmgw::providers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_fixtures = fs::path(LLMGW_SOURCE_DIR) / "tests" / "fixtures";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

json::value parse_or_fail(const std::string& text, const fs::path& where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << where << " is not valid JSON: " << ec.message() << "\n" << text;
  return v;
}

// JSON equality, ignoring top-level keys whose values are fresh per call.
void expect_json_eq(const std::string& actual, const fs::path& expected_file,
                    std::initializer_list<std::string_view> ignore = {}) {
  json::value a = parse_or_fail(actual, "actual output");
  json::value e = parse_or_fail(read_file(expected_file), expected_file);
  for (auto key : ignore) {
    if (a.is_object()) a.get_object().erase(key);
    if (e.is_object()) e.get_object().erase(key);
  }
  EXPECT_EQ(a, e) << "mismatch against " << expected_file << "\nactual:   " << json::serialize(a)
                  << "\nexpected: " << json::serialize(e);
}

struct case_settings {
  std::string vendor_model;
  bool include_usage = true;
};

case_settings settings_of(const fs::path& dir, const std::string& request_model) {
  case_settings s;
  s.vendor_model = request_model;
  if (fs::exists(dir / "case.json")) {
    auto v = json::parse(read_file(dir / "case.json")).as_object();
    if (auto* m = v.if_contains("vendor_model")) s.vendor_model = std::string(m->as_string());
    if (auto* u = v.if_contains("include_usage")) s.include_usage = u->as_bool();
  }
  return s;
}

vendor_endpoint test_endpoint(std::string_view vendor) {
  vendor_endpoint e;
  e.host = "vendor.test";
  e.base_path = vendor == "gemini" ? "/v1beta" : "";
  e.api_key = "test-key";
  e.api_version = "2023-06-01";
  e.aws_access_key_id = "AKIDEXAMPLE";
  e.aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  e.aws_region = "us-east-1";
  return e;
}

std::chrono::system_clock::time_point signing_time() {
  using namespace std::chrono;
  return sys_days{year{2024} / January / 1};
}

void check_encode(const provider& p, std::string_view vendor, const fs::path& dir) {
  const std::string body = read_file(dir / "openai_request.json");
  const auto req = parse_or_fail(body, dir / "openai_request.json");
  std::string model;
  bool stream = false;
  if (req.is_object()) {
    if (auto* m = req.get_object().if_contains("model"); m && m->is_string()) model = std::string(m->get_string());
    if (auto* s = req.get_object().if_contains("stream"); s && s->is_bool()) stream = s->get_bool();
  }
  const auto settings = settings_of(dir, model);
  chat_encode_options o;
  o.vendor_model = settings.vendor_model;
  o.stream = stream;
  o.now = signing_time();
  auto r = p.encode_chat(body, test_endpoint(vendor), o);
  if (fs::exists(dir / "vendor_request.json")) {
    ASSERT_TRUE(r) << dir << ": encode failed: " << r.error().message;
    expect_json_eq(r->body, dir / "vendor_request.json");
  } else if (fs::exists(dir / "openai_error.json")) {
    // A request the vendor cannot express: the expected 400.
    ASSERT_FALSE(r) << dir << ": expected encode to fail";
    expect_json_eq(render_openai_error(r.error()), dir / "openai_error.json");
    return;
  }
  if (!r) return;
  if (fs::exists(dir / "vendor_target.txt")) {
    EXPECT_EQ(r->target, trimmed(read_file(dir / "vendor_target.txt"))) << dir;
  }
  // What the adapter left out of the client's request: nothing, unless
  // dropped_params.json lists it.
  json::array dropped;
  for (auto name : r->dropped_params) dropped.emplace_back(name);
  const json::value expected_dropped =
      fs::exists(dir / "dropped_params.json") ? json::parse(read_file(dir / "dropped_params.json")) : json::array();
  EXPECT_EQ(json::value(dropped), expected_dropped) << dir << ": dropped parameters";
  if (fs::exists(dir / "vendor_headers.json")) {
    const auto expected = json::parse(read_file(dir / "vendor_headers.json")).as_object();
    for (const auto& [name, value] : expected) {
      bool found = false;
      for (const auto& [n, v] : r->headers) {
        if (n == name) {
          found = true;
          EXPECT_EQ(v, value.as_string()) << dir << ": header " << n;
        }
      }
      EXPECT_TRUE(found) << dir << ": header " << name << " not sent";
    }
  }
}

void check_decode(const provider& p, const fs::path& dir) {
  token_usage usage;
  auto r = p.decode_chat(read_file(dir / "vendor_response.json"), "test-model", &usage);
  ASSERT_TRUE(r) << dir << ": decode failed: " << r.error().message;
  expect_json_eq(*r, dir / "openai_response.json", {"id", "created"});
}

std::string translate(const provider& p, const std::string& input, bool include_usage, std::size_t max_piece,
                      std::uint32_t seed) {
  stream_options so;
  so.requested_model = "test-model";
  so.include_usage = include_usage;
  so.id = "chatcmpl-test";
  so.created = 1700000000;
  auto t = p.translate_stream(so);
  std::string out;
  std::mt19937 rng(seed);
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t n = max_piece == 0 ? input.size() : 1 + rng() % max_piece;
    n = std::min(n, input.size() - pos);
    t->feed(std::string_view(input).substr(pos, n), out);
    pos += n;
  }
  t->finish(out);
  if (t->error()) {
    // The failure event the gateway appends, so fixtures show the whole client stream.
    out.append("data: ");
    out.append(render_openai_error(*t->error()));
    out.append("\n\n");
  }
  return out;
}

void check_stream(const provider& p, const fs::path& dir) {
  const fs::path in = fs::exists(dir / "vendor_stream.bin") ? dir / "vendor_stream.bin" : dir / "vendor_stream.txt";
  const std::string input = read_file(in);
  const std::string expected = read_file(dir / "openai_stream.txt");
  const bool include_usage = settings_of(dir, {}).include_usage;
  EXPECT_EQ(translate(p, input, include_usage, 0, 0), expected) << dir << " (whole input)";
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    for (std::size_t max_piece : {1u, 3u, 17u, 256u}) {
      const std::string got = translate(p, input, include_usage, max_piece, seed);
      ASSERT_EQ(got, expected) << dir << " (pieces of at most " << max_piece << " bytes, seed " << seed << ")";
    }
  }
}

void check_error(const provider& p, const fs::path& dir) {
  const int status = std::stoi(read_file(dir / "vendor_status.txt"));
  const gateway_error e = p.decode_error(status, read_file(dir / "vendor_error.json"));
  EXPECT_EQ(e.status, std::stoi(read_file(dir / "openai_status.txt"))) << dir;
  expect_json_eq(render_openai_error(e), dir / "openai_error.json");
}

void check_embeddings(const provider& p, std::string_view vendor, const fs::path& dir) {
  if (fs::exists(dir / "openai_embeddings_request.json")) {
    const std::string body = read_file(dir / "openai_embeddings_request.json");
    const auto req = json::parse(body).as_object();
    const std::string model(req.at("model").as_string());
    auto r = p.encode_embeddings(body, test_endpoint(vendor), model);
    ASSERT_TRUE(r) << dir << ": encode_embeddings failed: " << r.error().message;
    expect_json_eq(r->body, dir / "vendor_embeddings_request.json");
    if (fs::exists(dir / "vendor_target.txt")) {
      EXPECT_EQ(r->target, trimmed(read_file(dir / "vendor_target.txt")));
    }
  }
  if (fs::exists(dir / "vendor_embeddings_response.json")) {
    token_usage usage;
    auto r = p.decode_embeddings(read_file(dir / "vendor_embeddings_response.json"), "test-model", &usage);
    ASSERT_TRUE(r) << dir << ": decode_embeddings failed: " << r.error().message;
    expect_json_eq(*r, dir / "openai_embeddings_response.json");
  }
}

// Runs every case of one vendor; returns how many file pairs were checked.
int run_vendor(std::string_view vendor) {
  const provider* p = find_adapter(vendor);
  EXPECT_NE(p, nullptr) << "no adapter registered for " << vendor;
  if (!p) return 0;
  int checked = 0;
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(k_fixtures / vendor)) {
    if (entry.is_directory()) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    if (fs::exists(dir / "openai_request.json")) {
      check_encode(*p, vendor, dir);
      ++checked;
    }
    if (fs::exists(dir / "vendor_response.json")) {
      check_decode(*p, dir);
      ++checked;
    }
    if (fs::exists(dir / "openai_stream.txt")) {
      check_stream(*p, dir);
      ++checked;
    }
    if (fs::exists(dir / "vendor_error.json")) {
      check_error(*p, dir);
      ++checked;
    }
    if (fs::exists(dir / "openai_embeddings_request.json") || fs::exists(dir / "vendor_embeddings_response.json")) {
      check_embeddings(*p, vendor, dir);
      ++checked;
    }
  }
  return checked;
}

TEST(GoldenFixtures, Anthropic) { EXPECT_GE(run_vendor("anthropic"), 10); }
TEST(GoldenFixtures, Gemini) { EXPECT_GE(run_vendor("gemini"), 10); }
TEST(GoldenFixtures, Bedrock) { EXPECT_GE(run_vendor("bedrock"), 8); }

// A family with an adapter comes with its golden cases, in the folder named
// as its row in registry.cpp.
TEST(GoldenFixtures, EveryAdapterFamilyHasCases) {
  for (const vendor_family& f : vendor_families()) {
    if (f.adapter == nullptr) continue;
    ASSERT_TRUE(fs::is_directory(k_fixtures / f.name)) << "no tests/fixtures/" << f.name;
    EXPECT_GT(run_vendor(f.name), 0) << f.name;
  }
}

}  // namespace
}  // namespace llmgw::providers
