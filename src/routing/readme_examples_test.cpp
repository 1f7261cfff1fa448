// Every ```yaml block of the README must load as pasted: a newcomer copies
// them first. Each is loaded as `llmgw serve --config` would (configuration,
// then the router), with the variables it names set to dummy values.
#include "config/config.hpp"
#include "routing/router.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace llmgw {
namespace {

struct yaml_block {
  int line = 0;  // of the opening fence in README.md
  // Blank lines up to the fence, then the block: error messages then give
  // README.md's own line numbers.
  std::string text;
};

std::vector<yaml_block> readme_yaml_blocks() {
  std::ifstream in(std::string(LLMGW_SOURCE_DIR) + "/README.md");
  EXPECT_TRUE(in) << "cannot open README.md under " << LLMGW_SOURCE_DIR;
  std::vector<yaml_block> blocks;
  std::string line;
  int n = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++n;
    if (!inside && (line == "```yaml" || line == "```yml")) {
      inside = true;
      blocks.push_back({n, std::string(static_cast<std::size_t>(n), '\n')});
    } else if (inside && line.starts_with("```")) {
      inside = false;
    } else if (inside) {
      blocks.back().text += line + "\n";
    }
  }
  EXPECT_FALSE(inside) << "README.md: a yaml block is not closed";
  return blocks;
}

// Each ${NAME} or ${NAME:-default} the block names, set to a dummy value.
env_lookup dummy_env_for(const std::string& text) {
  std::set<std::string, std::less<>> names;
  for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
    const std::size_t end = text.find_first_of(":}", at + 2);
    if (end != std::string::npos) names.insert(text.substr(at + 2, end - at - 2));
  }
  return [names = std::move(names)](std::string_view name) -> std::optional<std::string> {
    if (names.contains(name)) return "dummy-" + std::string(name);
    return std::nullopt;
  };
}

TEST(readme_examples, every_yaml_block_loads_as_pasted) {
  const auto blocks = readme_yaml_blocks();
  ASSERT_FALSE(blocks.empty()) << "README.md has no ```yaml block: was it renamed?";
  for (const auto& b : blocks) {
    try {
      const config cfg = load_config_from_string(b.text, dummy_env_for(b.text), "README.md");
      const router routes(cfg);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the yaml block at README.md:" << b.line << " does not load: " << e.what();
    }
  }
}

}  // namespace
}  // namespace llmgw
