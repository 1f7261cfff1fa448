#include "mock/request_reader.hpp"
#include "mock/json_reading.hpp"

#include <simdjson.h>

#include <algorithm>
#include <utility>

namespace llmgw::mock {

namespace {

namespace od = simdjson::ondemand;

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Reads an optional unsigned integer field; null counts as absent.
bool read_optional_uint(od::value& v, std::optional<std::uint32_t>& out) {
  bool null = false;
  if (v.is_null().get(null)) return false;
  if (null) return true;
  std::uint64_t n = 0;
  if (v.get_uint64().get(n)) return false;
  out = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
  return true;
}

bool read_optional_bool(od::value& v, bool& out) {
  bool null = false;
  if (v.is_null().get(null)) return false;
  if (null) return true;
  return !v.get_bool().get(out);
}

std::optional<mock_error> read_messages(od::value& v, chat_request_info& out) {
  od::array messages;
  if (v.get_array().get(messages)) return invalid_type_error("messages", "an array");
  for (auto element : messages) {
    od::object message;
    if (element.get_object().get(message)) return invalid_type_error("messages[]", "an object");
    bool is_user = false;
    std::string_view content;
    for (auto field_result : message) {
      od::field field;
      if (std::move(field_result).get(field)) return invalid_json_error();
      if (field.key() == "role") {
        std::string_view role;
        if (field.value().get_string().get(role)) return invalid_type_error("messages[].role", "a string");
        is_user = role == "user";
      } else if (field.key() == "content") {
        od::json_type type;
        if (field.value().type().get(type)) return invalid_json_error();
        if (type == od::json_type::string) {
          content = trim_right(field.value().raw_json_token());
        } else if (type == od::json_type::array) {
          od::array parts;
          if (field.value().get_array().get(parts) || parts.raw_json().get(content)) return invalid_json_error();
        }
      }
    }
    out.last_message_is_user = is_user;
    if (is_user) out.last_user_content = content;
  }
  return std::nullopt;
}

std::optional<mock_error> read_tool_choice(od::value& v, chat_request_info& out) {
  od::json_type type;
  if (v.type().get(type)) return invalid_json_error();
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return invalid_json_error();
    out.tool_choice_required = s == "required";
    out.tool_choice_none = s == "none";
  } else if (type == od::json_type::object) {
    // {"type":"function","function":{"name":"…"}}
    od::object choice;
    if (v.get_object().get(choice)) return invalid_json_error();
    od::object function;
    if (choice["function"].get_object().get(function)) return std::nullopt;
    std::string_view name;
    if (function["name"].get_string().get(name)) return std::nullopt;
    out.forced_tool.assign(name);
  }
  return std::nullopt;
}

}  // namespace

std::optional<mock_error> read_chat_request(std::string& body, chat_request_info& out, std::string_view default_model) {
  od::document doc;
  if (thread_parser().iterate(padded(body)).get(doc)) return invalid_json_error();
  od::object root;
  if (doc.get_object().get(root)) return invalid_json_error();
  bool have_model = false;
  bool have_messages = false;
  std::optional<std::uint32_t> max_tokens;
  std::optional<std::uint32_t> max_completion_tokens;
  for (auto field_result : root) {
    od::field field;
    if (std::move(field_result).get(field)) return invalid_json_error();
    const auto key = field.key();
    od::value& v = field.value();
    if (key == "model") {
      std::string_view model;
      if (v.get_string().get(model)) return invalid_type_error("model", "a string");
      out.model.assign(model);
      have_model = true;
    } else if (key == "messages") {
      if (auto e = read_messages(v, out)) return e;
      have_messages = true;
    } else if (key == "stream") {
      if (!read_optional_bool(v, out.stream)) return invalid_type_error("stream", "a boolean");
    } else if (key == "stream_options") {
      bool null = false;
      if (v.is_null().get(null)) return invalid_json_error();
      if (null) continue;
      od::object options;
      if (v.get_object().get(options)) return invalid_type_error("stream_options", "an object");
      for (auto option_result : options) {
        od::field option;
        if (std::move(option_result).get(option)) return invalid_json_error();
        if (option.key() == "include_usage" && !read_optional_bool(option.value(), out.include_usage))
          return invalid_type_error("stream_options.include_usage", "a boolean");
      }
    } else if (key == "max_tokens") {
      if (!read_optional_uint(v, max_tokens)) return invalid_type_error("max_tokens", "an integer");
    } else if (key == "max_completion_tokens") {
      if (!read_optional_uint(v, max_completion_tokens))
        return invalid_type_error("max_completion_tokens", "an integer");
    } else if (key == "tools") {
      bool null = false;
      if (v.is_null().get(null)) return invalid_json_error();
      if (null) continue;
      od::array tools;
      if (v.get_array().get(tools)) return invalid_type_error("tools", "an array");
      for (auto tool : tools) {
        if (tool.error()) return invalid_json_error();
        out.has_tools = true;  // the element itself is skipped by the iterator
      }
    } else if (key == "tool_choice") {
      if (auto e = read_tool_choice(v, out)) return e;
    }
  }
  if (!have_model && !default_model.empty()) {
    out.model.assign(default_model);
    have_model = true;
  }
  if (!have_model) return missing_model_error();
  if (!have_messages) return missing_parameter_error("messages");
  out.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  return std::nullopt;
}

namespace {

std::uint32_t estimate_tokens(std::string_view text) {
  return std::max<std::uint32_t>(1, static_cast<std::uint32_t>(text.size() / 4));
}

// One input that is an array of token ids: [1, 2, 3].
std::optional<mock_error> read_token_array(od::array& arr, embeddings_request_info& out) {
  const char* begin = nullptr;
  const char* end = nullptr;
  std::uint32_t count = 0;
  for (auto element : arr) {
    od::value token;
    if (element.get(token)) return invalid_json_error();
    std::uint64_t id = 0;
    std::string_view raw = trim_right(token.raw_json_token());
    if (token.get_uint64().get(id)) return invalid_type_error("input", "a string or an array of tokens");
    if (!begin) begin = raw.data();
    end = raw.data() + raw.size();
    ++count;
  }
  out.inputs.emplace_back(begin, static_cast<std::size_t>(end - begin));
  out.input_tokens.push_back(std::max<std::uint32_t>(1, count));
  return std::nullopt;
}

std::optional<mock_error> read_input(od::value& v, embeddings_request_info& out) {
  od::json_type type;
  if (v.type().get(type)) return invalid_json_error();
  if (type == od::json_type::string) {
    std::string_view raw = trim_right(v.raw_json_token());
    out.inputs.push_back(raw);
    out.input_tokens.push_back(estimate_tokens(raw));
    return std::nullopt;
  }
  if (type != od::json_type::array) return invalid_type_error("input", "a string or an array");
  od::array items;
  if (v.get_array().get(items)) return invalid_json_error();
  // Peek at the first element to tell [strings…] and [[tokens]…] from [tokens].
  bool first = true;
  bool token_list = false;
  const char* begin = nullptr;
  const char* end = nullptr;
  std::uint32_t count = 0;
  for (auto element : items) {
    od::value item;
    if (element.get(item)) return invalid_json_error();
    od::json_type item_type;
    if (item.type().get(item_type)) return invalid_json_error();
    if (first) token_list = item_type == od::json_type::number;
    first = false;
    if (token_list) {
      std::uint64_t id = 0;
      std::string_view raw = trim_right(item.raw_json_token());
      if (item.get_uint64().get(id)) return invalid_type_error("input", "an array of tokens");
      if (!begin) begin = raw.data();
      end = raw.data() + raw.size();
      ++count;
    } else if (item_type == od::json_type::string) {
      std::string_view raw = trim_right(item.raw_json_token());
      out.inputs.push_back(raw);
      out.input_tokens.push_back(estimate_tokens(raw));
    } else if (item_type == od::json_type::array) {
      od::array tokens;
      if (item.get_array().get(tokens)) return invalid_json_error();
      if (auto e = read_token_array(tokens, out)) return e;
    } else {
      return invalid_type_error("input", "a string or an array of strings or tokens");
    }
  }
  if (token_list) {
    out.inputs.emplace_back(begin, static_cast<std::size_t>(end - begin));
    out.input_tokens.push_back(std::max<std::uint32_t>(1, count));
  }
  if (out.inputs.empty()) return invalid_type_error("input", "a non-empty array");
  return std::nullopt;
}

}  // namespace

std::optional<mock_error> read_embeddings_request(std::string& body, embeddings_request_info& out,
                                                  std::string_view default_model) {
  od::document doc;
  if (thread_parser().iterate(padded(body)).get(doc)) return invalid_json_error();
  od::object root;
  if (doc.get_object().get(root)) return invalid_json_error();
  bool have_model = false;
  bool have_input = false;
  for (auto field_result : root) {
    od::field field;
    if (std::move(field_result).get(field)) return invalid_json_error();
    const auto key = field.key();
    od::value& v = field.value();
    if (key == "model") {
      std::string_view model;
      if (v.get_string().get(model)) return invalid_type_error("model", "a string");
      out.model.assign(model);
      have_model = true;
    } else if (key == "input") {
      if (auto e = read_input(v, out)) return e;
      have_input = true;
    } else if (key == "dimensions") {
      if (!read_optional_uint(v, out.dimensions)) return invalid_type_error("dimensions", "an integer");
    } else if (key == "encoding_format") {
      bool null = false;
      if (v.is_null().get(null)) return invalid_json_error();
      if (null) continue;
      std::string_view format;
      if (v.get_string().get(format)) return invalid_type_error("encoding_format", "a string");
      if (format != "float" && format != "base64") return invalid_type_error("encoding_format", "'float' or 'base64'");
      out.base64 = format == "base64";
    }
  }
  if (!have_model && !default_model.empty()) {
    out.model.assign(default_model);
    have_model = true;
  }
  if (!have_model) return missing_model_error();
  if (!have_input) return missing_parameter_error("input");
  return std::nullopt;
}

}  // namespace llmgw::mock
