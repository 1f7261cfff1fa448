#include "providers/anthropic_inbound.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include "core/header_value.hpp"

namespace llmgw::providers {
namespace {

namespace json = boost::json;

// Tool schemas may nest deeper than Boost.JSON's default limit of 32; the
// gateway's OpenAI validator allows 128 (api/request_json.hpp).
constexpr std::size_t k_max_depth = 128;

// Validation yields the first problem found, or nothing.
using problem = std::optional<gateway_error>;

// Anthropic names fields by their path ("messages.0.content.1.type") and
// words the problem the way its request validator does.
gateway_error field_error(const std::string& path, std::string_view what) {
  std::string message = path;
  message.append(": ").append(what);
  return invalid_request(std::move(message), path);
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string at(const std::string& path, std::size_t index) { return path + "." + std::to_string(index); }

const json::value* find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

// Optional fields may also be null, which means absent.
const json::value* find_set(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

problem require_string(const json::object& o, std::string_view key, const std::string& path) {
  const json::value* v = find(o, key);
  if (v == nullptr) return field_error(at(path, key), "Field required");
  if (!v->is_string()) return field_error(at(path, key), "Input should be a valid string");
  return std::nullopt;
}

problem optional_type(const json::object& o, std::string_view key, const std::string& path, json::kind kind,
                      std::string_view what) {
  const json::value* v = find_set(o, key);
  if (v == nullptr || v->kind() == kind) return std::nullopt;
  if (kind == json::kind::double_ && (v->is_int64() || v->is_uint64())) return std::nullopt;
  return field_error(at(path, key), what);
}

bool is_web_url(std::string_view url) {
  const auto starts_with_nocase = [&](std::string_view prefix) {
    if (url.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    return true;
  };
  return starts_with_nocase("https://") || starts_with_nocase("http://");
}

problem check_image_source(const json::object& block, const std::string& path) {
  const json::value* source = find(block, "source");
  if (source == nullptr) return field_error(at(path, "source"), "Field required");
  if (!source->is_object()) return field_error(at(path, "source"), "Input should be a valid dictionary");
  const auto& s = source->get_object();
  const std::string source_path = at(path, "source");
  if (auto p = require_string(s, "type", source_path)) return p;
  const json::string& type = s.at("type").get_string();
  if (type == "base64") {
    if (auto p = require_string(s, "media_type", source_path)) return p;
    // The four types the Messages API documents for base64 images; anything
    // else is Anthropic's 400, and would not make a data URL for the others.
    const json::string& media = s.at("media_type").get_string();
    if (media != "image/jpeg" && media != "image/png" && media != "image/gif" && media != "image/webp")
      return field_error(at(source_path, "media_type"),
                         "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
    if (auto p = require_string(s, "data", source_path)) return p;
    // An image of no bytes is no image; Anthropic refuses it, and as an
    // empty data URL no other vendor could be given it either.
    if (s.at("data").get_string().empty())
      return field_error(at(source_path, "data"), "String should have at least 1 character");
    return std::nullopt;
  }
  if (type == "url") {
    if (auto p = require_string(s, "url", source_path)) return p;
    // A url source is fetched by the vendor: only a web address makes sense,
    // and anything else (a data: URL, a bare path) would reach an OpenAI-shaped
    // vendor as an image_url it refuses or misreads.
    if (!is_web_url(s.at("url").get_string()))
      return field_error(at(source_path, "url"), "Input should be an http or https URL");
    return std::nullopt;
  }
  return std::nullopt;  // other sources (file) are Anthropic's to judge
}

// Anthropic's pattern for tool names and tool-use ids, ^[a-zA-Z0-9_-]+$
// (names also at most 128 long). An empty or odd id would also be refused by
// every vendor it is translated for, which pair calls and results by it.
bool is_tool_identifier(std::string_view s, std::size_t max_size) {
  return !s.empty() && s.size() <= max_size && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

problem require_tool_id(const json::object& block, std::string_view key, const std::string& path) {
  if (auto p = require_string(block, key, path)) return p;
  if (!is_tool_identifier(block.at(key).get_string(), std::string_view::npos))
    return field_error(at(path, key), "String should match pattern '^[a-zA-Z0-9_-]+$'");
  return std::nullopt;
}

problem check_block(const json::value& v, const std::string& path, std::string_view role);

problem check_tool_result(const json::object& block, const std::string& path) {
  if (auto p = require_tool_id(block, "tool_use_id", path)) return p;
  if (auto p = optional_type(block, "is_error", path, json::kind::bool_, "Input should be a valid boolean")) return p;
  const json::value* content = find_set(block, "content");
  if (content == nullptr || content->is_string()) return std::nullopt;
  if (!content->is_array())
    return field_error(at(path, "content"), "Input should be a valid string or a list of content blocks");
  const auto& blocks = content->get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (auto p = check_block(blocks[i], at(at(path, "content"), i), "tool_result")) return p;
  }
  return std::nullopt;
}

// The fields of the block types Anthropic defines; other types pass here
// and are judged by whoever serves the request.
problem check_block(const json::value& v, const std::string& path, std::string_view role) {
  if (!v.is_object()) return field_error(path, "Input should be a valid dictionary");
  const auto& block = v.get_object();
  if (auto p = require_string(block, "type", path)) return p;
  const json::string& type = block.at("type").get_string();
  if (type == "text") return require_string(block, "text", path);
  if (type == "image") {
    if (role == "assistant") return field_error(at(path, "type"), "image blocks are only allowed in user messages");
    return check_image_source(block, path);
  }
  if (type == "tool_use") {
    if (role != "assistant")
      return field_error(at(path, "type"), "tool_use blocks are only allowed in assistant messages");
    if (auto p = require_tool_id(block, "id", path)) return p;
    if (auto p = require_string(block, "name", path)) return p;
    const json::value* input = find(block, "input");
    if (input == nullptr) return field_error(at(path, "input"), "Field required");
    if (!input->is_object()) return field_error(at(path, "input"), "Input should be a valid dictionary");
    return std::nullopt;
  }
  if (type == "tool_result") {
    if (role != "user") return field_error(at(path, "type"), "tool_result blocks are only allowed in user messages");
    return check_tool_result(block, path);
  }
  return std::nullopt;
}

problem check_message(const json::value& v, const std::string& path) {
  if (!v.is_object()) return field_error(path, "Input should be a valid dictionary");
  const auto& message = v.get_object();
  if (auto p = require_string(message, "role", path)) return p;
  const json::string& role = message.at("role").get_string();
  if (role != "user" && role != "assistant")
    return field_error(at(path, "role"), "Input should be 'user' or 'assistant'");
  const json::value* content = find(message, "content");
  if (content == nullptr) return field_error(at(path, "content"), "Field required");
  if (content->is_string()) return std::nullopt;
  if (!content->is_array())
    return field_error(at(path, "content"), "Input should be a valid string or a list of content blocks");
  const auto& blocks = content->get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (auto p = check_block(blocks[i], at(at(path, "content"), i), role)) return p;
  }
  return std::nullopt;
}

problem check_system(const json::object& root) {
  const json::value* system = find_set(root, "system");
  if (system == nullptr || system->is_string()) return std::nullopt;
  if (!system->is_array()) return field_error("system", "Input should be a valid string or a list of text blocks");
  const auto& blocks = system->get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string path = at(std::string("system"), i);
    if (!blocks[i].is_object()) return field_error(path, "Input should be a valid dictionary");
    const auto& block = blocks[i].get_object();
    if (auto p = require_string(block, "type", path)) return p;
    if (block.at("type").get_string() != "text") return field_error(at(path, "type"), "Input should be 'text'");
    if (auto p = require_string(block, "text", path)) return p;
  }
  return std::nullopt;
}

problem check_tools(const json::object& root) {
  const json::value* tools = find_set(root, "tools");
  if (tools == nullptr) return std::nullopt;
  if (!tools->is_array()) return field_error("tools", "Input should be a valid list");
  const auto& list = tools->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = at(std::string("tools"), i);
    if (!list[i].is_object()) return field_error(path, "Input should be a valid dictionary");
    const auto& tool = list[i].get_object();
    if (auto p = optional_type(tool, "type", path, json::kind::string, "Input should be a valid string")) return p;
    if (auto p = require_string(tool, "name", path)) return p;
    const json::value* type = find_set(tool, "type");
    if (type != nullptr && type->get_string() != "custom") continue;  // Anthropic's server tools have their own fields
    if (!is_tool_identifier(tool.at("name").get_string(), 128))
      return field_error(at(path, "name"), "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    if (auto p = optional_type(tool, "description", path, json::kind::string, "Input should be a valid string"))
      return p;
    const json::value* schema = find(tool, "input_schema");
    if (schema == nullptr) return field_error(at(path, "input_schema"), "Field required");
    if (!schema->is_object()) return field_error(at(path, "input_schema"), "Input should be a valid dictionary");
  }
  return std::nullopt;
}

problem check_tool_choice(const json::object& root) {
  const json::value* choice = find_set(root, "tool_choice");
  if (choice == nullptr) return std::nullopt;
  if (!choice->is_object()) return field_error("tool_choice", "Input should be a valid dictionary");
  const auto& c = choice->get_object();
  if (auto p = require_string(c, "type", "tool_choice")) return p;
  const json::string& type = c.at("type").get_string();
  if (type == "tool") {
    if (auto p = require_string(c, "name", "tool_choice")) return p;
    // Forcing a tool the request does not declare is refused by Anthropic,
    // and translated it would force a function no vendor was given.
    const json::string& name = c.at("name").get_string();
    const json::value* tools = find_set(root, "tools");
    const bool declared = tools != nullptr && tools->is_array() &&
                          std::any_of(tools->get_array().begin(), tools->get_array().end(), [&](const json::value& t) {
                            const json::value* n = t.is_object() ? t.get_object().if_contains("name") : nullptr;
                            return n != nullptr && n->is_string() && n->get_string() == name;
                          });
    if (!declared)
      return field_error("tool_choice.name",
                         "Tool '" + std::string(name) + "' is not one of the tools given in 'tools'");
  } else if (type != "auto" && type != "any" && type != "none") {
    return field_error("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
  }
  return optional_type(c, "disable_parallel_tool_use", "tool_choice", json::kind::bool_,
                       "Input should be a valid boolean");
}

problem check_options(const json::object& root) {
  constexpr std::string_view number = "Input should be a valid number";
  if (auto p = optional_type(root, "stream", "", json::kind::bool_, "Input should be a valid boolean")) return p;
  if (auto p = optional_type(root, "temperature", "", json::kind::double_, number)) return p;
  if (auto p = optional_type(root, "top_p", "", json::kind::double_, number)) return p;
  if (const json::value* top_k = find_set(root, "top_k"); top_k != nullptr && !top_k->is_int64() && !top_k->is_uint64())
    return field_error("top_k", "Input should be a valid integer");
  if (const json::value* stops = find_set(root, "stop_sequences")) {
    if (!stops->is_array()) return field_error("stop_sequences", "Input should be a valid list");
    const auto& list = stops->get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string())
        return field_error(at(std::string("stop_sequences"), i), "Input should be a valid string");
    }
  }
  if (const json::value* metadata = find_set(root, "metadata")) {
    if (!metadata->is_object()) return field_error("metadata", "Input should be a valid dictionary");
    if (auto p = optional_type(metadata->get_object(), "user_id", "metadata", json::kind::string,
                               "Input should be a valid string"))
      return p;
  }
  if (auto p = check_system(root)) return p;
  if (auto p = check_tools(root)) return p;
  return check_tool_choice(root);
}

struct validated {
  json::value body;
  messages_request_info info;
};

boost::system::result<validated, gateway_error> validate(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = k_max_depth;
  json::value root = json::parse(body, ec, {}, options);
  if (ec) return invalid_request("Request body is not valid JSON.");
  if (!root.is_object()) return invalid_request("Request body must be a JSON object.");
  const auto& o = root.get_object();

  messages_request_info info;
  if (auto p = require_string(o, "model", "")) return *p;
  info.model = o.at("model").get_string();
  if (info.model.empty()) return field_error("model", "String should have at least 1 character");
  // The served model name is sent back in the x-llmgw-model header.
  if (has_control_char(info.model)) return field_error("model", "Control characters are not allowed in a model name");

  const json::value* max_tokens = find(o, "max_tokens");
  if (max_tokens == nullptr) return field_error("max_tokens", "Field required");
  if (max_tokens->is_uint64())
    return field_error("max_tokens", "Input should be less than or equal to 9223372036854775807");
  if (!max_tokens->is_int64()) return field_error("max_tokens", "Input should be a valid integer");
  info.max_tokens = max_tokens->get_int64();
  if (info.max_tokens < 1) return field_error("max_tokens", "Input should be greater than or equal to 1");

  const json::value* messages = find(o, "messages");
  if (messages == nullptr) return field_error("messages", "Field required");
  if (!messages->is_array()) return field_error("messages", "Input should be a valid list");
  const auto& list = messages->get_array();
  if (list.empty()) return field_error("messages", "List should have at least 1 item");
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto p = check_message(list[i], at(std::string("messages"), i))) return *p;
  }
  if (auto p = check_options(o)) return *p;
  const json::value* stream = find_set(o, "stream");
  info.stream = stream != nullptr && stream->get_bool();
  if (const json::value* metadata = find_set(o, "metadata")) {
    if (const json::value* user = find_set(metadata->get_object(), "user_id")) info.user_id = user->get_string();
  }
  return validated{std::move(root), std::move(info)};
}

// ---------------------------------------------------------------- translation

// Things Anthropic accepts that an OpenAI-shaped vendor cannot be given.
gateway_error unsupported(const std::string& path, std::string_view what) {
  return field_error(path, std::string(what) + " is not supported when the model is not served by Anthropic");
}

struct user_parts {
  json::array parts;  // OpenAI content parts
  std::size_t texts = 0;
};

json::object text_part(json::string_view text) { return {{"type", "text"}, {"text", text}}; }

boost::system::result<json::object, gateway_error> image_part(const json::object& block, const std::string& path) {
  const auto& source = block.at("source").get_object();
  const json::string& type = source.at("type").get_string();
  std::string url;
  if (type == "base64") {
    url = "data:";
    url.append(source.at("media_type").get_string()).append(";base64,").append(source.at("data").get_string());
  } else if (type == "url") {
    url = source.at("url").get_string();
  } else {
    return unsupported(at(at(path, "source"), "type"), "the image source type '" + std::string(type) + "'");
  }
  return json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url}}}};
}

// A tool_result becomes an OpenAI tool message. Its text goes there; images
// cannot (tool messages carry text only), so they go to the user message
// that follows, ahead of the user's own content.
boost::system::result<json::object, gateway_error> tool_message(const json::object& block, const std::string& path,
                                                                user_parts& user) {
  std::string text;
  const json::value* content = find_set(block, "content");
  if (content != nullptr && content->is_string()) {
    text = content->get_string();
  } else if (content != nullptr) {
    const auto& blocks = content->get_array();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const auto& inner = blocks[i].get_object();
      const std::string inner_path = at(at(path, "content"), i);
      const json::string& type = inner.at("type").get_string();
      if (type == "text") {
        if (!text.empty()) text.push_back('\n');
        text.append(inner.at("text").get_string());
      } else if (type == "image") {
        auto part = image_part(inner, inner_path);
        if (!part) return part.error();
        user.parts.emplace_back(std::move(*part));
      } else {
        return unsupported(at(inner_path, "type"), "a '" + std::string(type) + "' block in a tool result");
      }
    }
  }
  if (const json::value* is_error = find_set(block, "is_error"); is_error != nullptr && is_error->get_bool()) {
    // OpenAI tool messages have no error flag: say it in the text the model reads.
    text = text.empty() ? "Error" : "Error: " + text;
  }
  return json::object{{"role", "tool"}, {"tool_call_id", block.at("tool_use_id")}, {"content", text}};
}

problem append_user(const json::object& message, const std::string& path, json::array& out) {
  const json::value& content = message.at("content");
  if (content.is_string()) {
    out.emplace_back(json::object{{"role", "user"}, {"content", content}});
    return std::nullopt;
  }
  user_parts user;
  const auto& blocks = content.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& block = blocks[i].get_object();
    const std::string block_path = at(at(path, "content"), i);
    const json::string& type = block.at("type").get_string();
    if (type == "tool_result") {
      auto tool = tool_message(block, block_path, user);
      if (!tool) return tool.error();
      out.emplace_back(std::move(*tool));
    } else if (type == "text") {
      user.parts.emplace_back(text_part(block.at("text").get_string()));
      ++user.texts;
    } else if (type == "image") {
      auto part = image_part(block, block_path);
      if (!part) return part.error();
      user.parts.emplace_back(std::move(*part));
    } else if (type != "thinking" && type != "redacted_thinking") {
      return unsupported(at(block_path, "type"), "a '" + std::string(type) + "' block");
    }
  }
  if (user.parts.empty()) return std::nullopt;
  if (user.parts.size() == 1 && user.texts == 1) {
    out.emplace_back(json::object{{"role", "user"}, {"content", user.parts[0].get_object().at("text")}});
  } else {
    out.emplace_back(json::object{{"role", "user"}, {"content", std::move(user.parts)}});
  }
  return std::nullopt;
}

problem append_assistant(const json::object& message, const std::string& path, json::array& out) {
  const json::value& content = message.at("content");
  if (content.is_string()) {
    out.emplace_back(json::object{{"role", "assistant"}, {"content", content}});
    return std::nullopt;
  }
  // Assistant text blocks are pieces of one reply (Anthropic splits text
  // around citations), and several OpenAI-compatible servers accept only a
  // string here: join them.
  std::string text;
  bool has_text = false;
  json::array tool_calls;
  const auto& blocks = content.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& block = blocks[i].get_object();
    const json::string& type = block.at("type").get_string();
    if (type == "text") {
      text.append(block.at("text").get_string());
      has_text = true;
    } else if (type == "tool_use") {
      tool_calls.emplace_back(json::object{
          {"id", block.at("id")},
          {"type", "function"},
          {"function", json::object{{"name", block.at("name")}, {"arguments", json::serialize(block.at("input"))}}}});
    } else if (type != "thinking" && type != "redacted_thinking") {
      return unsupported(at(at(at(path, "content"), i), "type"), "a '" + std::string(type) + "' block");
    }
  }
  if (!has_text && tool_calls.empty()) return std::nullopt;
  json::object m{{"role", "assistant"}};
  if (has_text) {
    m["content"] = text;
  } else {
    m["content"] = nullptr;
  }
  if (!tool_calls.empty()) m["tool_calls"] = std::move(tool_calls);
  out.emplace_back(std::move(m));
  return std::nullopt;
}

void append_system(const json::object& root, json::array& out) {
  const json::value* system = find_set(root, "system");
  if (system == nullptr) return;
  std::string text;
  if (system->is_string()) {
    text = system->get_string();
  } else {
    for (const auto& block : system->get_array()) {
      if (!text.empty()) text.push_back('\n');
      text.append(block.get_object().at("text").get_string());
    }
  }
  if (!text.empty()) out.emplace_back(json::object{{"role", "system"}, {"content", text}});
}

problem add_tools(const json::object& root, json::object& out) {
  const json::value* tools = find_set(root, "tools");
  if (tools == nullptr || tools->get_array().empty())
    return std::nullopt;  // tool_choice without tools is an OpenAI error
  json::array functions;
  const auto& list = tools->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& tool = list[i].get_object();
    if (const json::value* type = find_set(tool, "type"); type != nullptr && type->get_string() != "custom") {
      return unsupported(at(at(std::string("tools"), i), "type"),
                         "the server tool '" + std::string(type->get_string()) + "'");
    }
    json::object function{{"name", tool.at("name")}};
    if (const json::value* description = find_set(tool, "description")) function["description"] = *description;
    function["parameters"] = tool.at("input_schema");
    functions.emplace_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  out["tools"] = std::move(functions);

  const json::value* choice = find_set(root, "tool_choice");
  if (choice == nullptr) return std::nullopt;
  const auto& c = choice->get_object();
  const json::string& type = c.at("type").get_string();
  if (type == "auto") {
    out["tool_choice"] = "auto";
  } else if (type == "any") {
    out["tool_choice"] = "required";
  } else if (type == "none") {
    out["tool_choice"] = "none";
  } else {
    out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", c.at("name")}}}};
  }
  if (const json::value* serial = find_set(c, "disable_parallel_tool_use"); serial != nullptr && serial->get_bool()) {
    out["parallel_tool_calls"] = false;
  }
  return std::nullopt;
}

}  // namespace

boost::system::result<messages_request, gateway_error> read_messages_request(std::string_view body) {
  auto v = validate(body);
  if (!v) return v.error();
  return messages_request{std::move(v->info), std::make_shared<const json::value>(std::move(v->body))};
}

boost::system::result<messages_request_info, gateway_error> parse_messages_request(std::string_view body) {
  auto v = validate(body);
  if (!v) return v.error();
  return std::move(v->info);
}

boost::system::result<std::string, gateway_error> messages_to_openai(std::string_view body) {
  auto r = read_messages_request(body);
  if (!r) return r.error();
  return messages_to_openai(*r, {});
}

boost::system::result<std::string, gateway_error> messages_to_openai(const messages_request& r,
                                                                     std::string_view model) {
  const auto& root = r.doc->get_object();

  json::array messages;
  append_system(root, messages);
  const auto& list = root.at("messages").get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& message = list[i].get_object();
    const std::string path = at(std::string("messages"), i);
    const problem p = message.at("role").get_string() == "user" ? append_user(message, path, messages)
                                                                : append_assistant(message, path, messages);
    if (p) return *p;
  }

  json::object out;
  out["model"] = model.empty() ? std::string_view(r.info.model) : model;
  out["messages"] = std::move(messages);
  out["max_tokens"] = r.info.max_tokens;
  // top_k has no OpenAI counterpart and is dropped.
  for (std::string_view key : {"temperature", "top_p"}) {
    if (const json::value* x = find_set(root, key)) out[key] = *x;
  }
  if (const json::value* stops = find_set(root, "stop_sequences"); stops != nullptr && !stops->get_array().empty()) {
    out["stop"] = *stops;
  }
  if (const json::value* metadata = find_set(root, "metadata")) {
    if (const json::value* user = find_set(metadata->get_object(), "user_id");
        user != nullptr && !user->get_string().empty())
      out["user"] = *user;
  }
  if (auto p = add_tools(root, out)) return *p;
  if (r.info.stream) {
    out["stream"] = true;
    out["stream_options"] = json::object{{"include_usage", true}};
  }
  return json::serialize(out);
}

}  // namespace llmgw::providers
