// DESIGN.md §8 at the include level, for the parts whose direction matters
// most: configuration describes what the user set and knows no vendor's
// wire; adapters know no configuration, routing or I/O. A cycle (config
// including routing, which includes config) fails here, not in review.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace llmgw {
namespace {

namespace fs = std::filesystem;

// The folders of ours that the files in `dir` include ("core", "config", ...).
std::vector<std::string> violations(const std::string& dir, const std::set<std::string>& allowed) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(fs::path(LLMGW_SOURCE_DIR) / "src" / dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".hpp" && ext != ".cpp") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      constexpr std::string_view k_prefix = "#include \"";
      if (!line.starts_with(k_prefix)) continue;
      const std::size_t slash = line.find('/', k_prefix.size());
      if (slash == std::string::npos) continue;
      const std::string folder = line.substr(k_prefix.size(), slash - k_prefix.size());
      if (!allowed.contains(folder)) out.push_back(entry.path().filename().string() + ": " + line);
    }
  }
  return out;
}

TEST(layering, core_uses_nothing_of_ours) { EXPECT_EQ(violations("core", {"core"}), std::vector<std::string>{}); }

TEST(layering, config_uses_core_only) {
  EXPECT_EQ(violations("config", {"config", "core"}), std::vector<std::string>{});
}

TEST(layering, providers_use_core_only) {
  EXPECT_EQ(violations("providers", {"providers", "core"}), std::vector<std::string>{});
}

TEST(layering, routing_uses_config_providers_and_core) {
  EXPECT_EQ(violations("routing", {"routing", "config", "providers", "core"}), std::vector<std::string>{});
}

TEST(layering, usage_uses_core_only) {
  // The record writer and the usage databases know records, not the pipeline.
  EXPECT_EQ(violations("usage", {"usage", "core"}), std::vector<std::string>{});
}

// Metrics are fed finished records and know nothing of the stages.
TEST(layering, metrics_use_usage_and_core) {
  EXPECT_EQ(violations("metrics", {"metrics", "usage", "core"}), std::vector<std::string>{});
}

TEST(layering, cost_uses_config_and_core) {
  EXPECT_EQ(violations("cost", {"cost", "config", "core"}), std::vector<std::string>{});
}

TEST(layering, store_uses_core_only) { EXPECT_EQ(violations("store", {"store", "core"}), std::vector<std::string>{}); }

}  // namespace
}  // namespace llmgw
