#include "mock/tool_calls.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmgw::mock {

namespace {

namespace json = boost::json;

// A value that validates against `schema`, as simple as possible.
json::value sample_for(const json::value& schema, int depth) {
  if (depth > 8 || !schema.is_object()) return "mock";
  const auto& s = schema.get_object();
  if (auto it = s.find("const"); it != s.end()) return it->value();
  if (auto it = s.find("enum"); it != s.end() && it->value().is_array() && !it->value().get_array().empty())
    return it->value().get_array().front();
  for (std::string_view alt : {"anyOf", "oneOf", "allOf"}) {
    if (auto it = s.find(alt); it != s.end() && it->value().is_array() && !it->value().get_array().empty())
      return sample_for(it->value().get_array().front(), depth + 1);
  }
  std::string_view type;
  if (auto it = s.find("type"); it != s.end()) {
    if (it->value().is_string()) {
      type = it->value().get_string();
    } else if (it->value().is_array()) {
      for (const auto& t : it->value().get_array()) {
        if (t.is_string() && t.get_string() != "null") {
          type = t.get_string();
          break;
        }
      }
    }
  }
  if (type.empty()) type = s.contains("properties") ? "object" : "string";
  if (type == "object") {
    json::object o;
    if (auto it = s.find("properties"); it != s.end() && it->value().is_object()) {
      for (const auto& p : it->value().get_object()) o[p.key()] = sample_for(p.value(), depth + 1);
    }
    return o;
  }
  if (type == "array") {
    json::array a;
    if (auto it = s.find("items"); it != s.end()) a.push_back(sample_for(it->value(), depth + 1));
    return a;
  }
  if (type == "integer") return 1;
  if (type == "number") return 1.5;
  if (type == "boolean") return true;
  if (type == "null") return nullptr;
  return "mock";
}

}  // namespace

std::string arguments_for_schema(std::string_view schema_json) {
  boost::system::error_code ec;
  auto schema = json::parse(schema_json, ec);
  if (ec) return "{}";
  auto v = sample_for(schema, 0);
  if (!v.is_object()) return "{}";
  return json::serialize(v);
}

std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) {
  boost::system::error_code ec;
  auto root = json::parse(body, ec);
  if (ec || !root.is_object()) return std::nullopt;
  const auto* tools = root.get_object().if_contains("tools");
  if (!tools || !tools->is_array()) return std::nullopt;
  for (const auto& tool : tools->get_array()) {
    if (!tool.is_object()) continue;
    const auto* function = tool.get_object().if_contains("function");
    if (!function || !function->is_object()) continue;
    const auto* name = function->get_object().if_contains("name");
    if (!name || !name->is_string()) continue;
    if (!wanted.empty() && name->get_string() != wanted) continue;
    tool_call call;
    call.id = new_tool_call_id();
    call.name = name->get_string();
    const auto* parameters = function->get_object().if_contains("parameters");
    json::value args = parameters ? sample_for(*parameters, 0) : json::value(json::object());
    call.arguments = args.is_object() ? json::serialize(args) : "{}";
    return call;
  }
  return std::nullopt;
}

}  // namespace llmgw::mock
