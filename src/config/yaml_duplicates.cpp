#include "config/yaml_duplicates.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <vector>

namespace llmgw {
namespace {

class duplicate_finder : public YAML::EventHandler {
 public:
  std::optional<duplicate_key> found;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark, nullptr); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    node(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, false);
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, true);
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct frame {
    bool is_map = false;
    std::string path;
    bool expect_key = true;           // maps: the next node is a key
    std::string key;                  // maps: the key whose value comes next
    std::map<std::string, int> keys;  // maps: key → line of its first occurrence
    std::size_t index = 0;            // sequences: the next item's index
  };

  // The path of the node that starts now, and advances the parent past it.
  // `scalar` is the node's text when it is a scalar.
  std::string place(const YAML::Mark& mark, const std::string* scalar) {
    if (frames_.empty()) return "";
    frame& f = frames_.back();
    if (!f.is_map) return f.path + "[" + std::to_string(f.index++) + "]";
    if (f.expect_key) {
      f.expect_key = false;
      // Only scalar keys are compared; a complex key gets a name no scalar has.
      f.key = scalar ? *scalar : "?";
      const std::string path = f.path.empty() ? f.key : f.path + "." + f.key;
      if (scalar && !found) {
        auto [it, inserted] = f.keys.emplace(*scalar, mark.line + 1);
        if (!inserted) found = duplicate_key{path, mark.line + 1, it->second};
      }
      return path;
    }
    f.expect_key = true;
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }

  void node(const YAML::Mark& mark, const std::string* scalar) { (void)place(mark, scalar); }

  void open(const YAML::Mark& mark, bool is_map) {
    frame f;
    f.is_map = is_map;
    f.path = place(mark, nullptr);
    frames_.push_back(std::move(f));
  }

  std::vector<frame> frames_;
};

}  // namespace

std::optional<duplicate_key> find_duplicate_key(std::string_view yaml_text) {
  std::istringstream in{std::string(yaml_text)};
  YAML::Parser parser(in);
  duplicate_finder finder;
  parser.HandleNextDocument(finder);
  return finder.found;
}

}  // namespace llmgw
