// Every vendor request a golden fixture expects the gateway to send is one
// the vendor accepts: the mock's dialect, which refuses what the real API
// refuses, reads each of them without an error. A fixture that locks in a
// request the vendor would answer with a 400 fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mock/dialect.hpp"

namespace llmgw::mock {
namespace {

namespace fs = std::filesystem;

const fs::path k_fixtures = fs::path(LLMGW_SOURCE_DIR) / "tests" / "fixtures";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Bedrock names the model in the path ("/model/<id>/converse"), where the
// dialect finds it; Gemini too, but no rule depends on it.
std::string path_model(const fs::path& case_dir) {
  const std::string target =
      fs::exists(case_dir / "vendor_target.txt") ? read_file(case_dir / "vendor_target.txt") : "";
  constexpr std::string_view marker = "/model/";
  const auto at = target.find(marker);
  if (at == std::string::npos) return "fixture-model";
  const auto begin = at + marker.size();
  return target.substr(begin, target.find('/', begin) - begin);
}

// Reads `file` of every case under tests/fixtures/<vendor>/ with `d`;
// returns how many cases had one.
int expect_accepted(const std::string& vendor, const std::string& file, const dialect& d) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(k_fixtures / vendor)) {
    const fs::path request = entry.path() / file;
    if (!fs::exists(request)) continue;
    ++n;
    std::string body = read_file(request);
    chat_request_info info;
    const auto e = d.read_chat(body, path_model(entry.path()), false, info);
    EXPECT_FALSE(e) << vendor << "/" << entry.path().filename().string() << "/" << file
                    << " is refused by the vendor: " << (e ? e->body : "");
  }
  return n;
}

TEST(FixtureRequests, TheVendorAcceptsEveryEncodedRequest) {
  EXPECT_GE(expect_accepted("anthropic", "vendor_request.json", anthropic_dialect()), 10);
  EXPECT_GE(expect_accepted("gemini", "vendor_request.json", gemini_dialect()), 10);
  EXPECT_GE(expect_accepted("bedrock", "vendor_request.json", bedrock_dialect()), 5);
  // Anthropic clients served by OpenAI-compatible vendors.
  EXPECT_GE(expect_accepted("anthropic_inbound", "openai_request.json", openai_dialect()), 5);
}

}  // namespace
}  // namespace llmgw::mock
