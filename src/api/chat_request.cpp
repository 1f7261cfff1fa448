#include "api/chat_request.hpp"

#include "core/json_escape.hpp"

#include <array>
#include <initializer_list>
#include <limits>
#include <utility>

namespace llmgw::api {
namespace {

using json_type = ondemand::json_type;

constexpr std::int64_t k_int_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t k_int_max = std::numeric_limits<std::int64_t>::max();

enum field_id : unsigned {
  f_model,
  f_messages,
  f_stream,
  f_stream_options,
  f_temperature,
  f_top_p,
  f_n,
  f_max_tokens,
  f_max_completion_tokens,
  f_stop,
  f_presence_penalty,
  f_frequency_penalty,
  f_tools,
  f_tool_choice,
  f_response_format,
  f_user,
  f_seed,
  f_logprobs,
  f_top_logprobs,
  f_parallel_tool_calls,
  f_unknown,
};

struct named_field {
  std::string_view name;
  field_id id;
};

constexpr named_field k_fields[] = {
    {"model", f_model},
    {"messages", f_messages},
    {"stream", f_stream},
    {"stream_options", f_stream_options},
    {"temperature", f_temperature},
    {"top_p", f_top_p},
    {"n", f_n},
    {"max_tokens", f_max_tokens},
    {"max_completion_tokens", f_max_completion_tokens},
    {"stop", f_stop},
    {"presence_penalty", f_presence_penalty},
    {"frequency_penalty", f_frequency_penalty},
    {"tools", f_tools},
    {"tool_choice", f_tool_choice},
    {"response_format", f_response_format},
    {"user", f_user},
    {"seed", f_seed},
    {"logprobs", f_logprobs},
    {"top_logprobs", f_top_logprobs},
    {"parallel_tool_calls", f_parallel_tool_calls},
};

field_id lookup(std::string_view key) {
  for (const auto& f : k_fields) {
    if (f.name == key) return f.id;
  }
  return f_unknown;
}

constexpr std::array<std::string_view, 6> k_roles = {"system", "developer", "user", "assistant", "tool", "function"};

bool known_role(std::string_view role) {
  for (auto r : k_roles) {
    if (r == role) return true;
  }
  return false;
}

// Field values sit at depth 1 (the body object is depth 0).
constexpr int k_field_depth = 1;

// Checks a value that must be null or one of `allowed` types, walking it fully.
check_result check_typed(ondemand::value& v, json_type type, int depth, const param_path& param,
                         std::initializer_list<json_type> allowed, std::string_view expected) {
  for (json_type t : allowed) {
    if (t == type) return check_value(v, depth);
  }
  if (type == json_type::null) return check_value(v, depth);
  return wrong_type(param, expected, type);
}

// An array (or null) whose elements must all be objects, e.g. "tools".
check_result check_array_of_objects(ondemand::value& v, json_type type, int depth, const param_path& param) {
  if (type == json_type::null) return check_value(v, depth);
  if (type != json_type::array) return wrong_type(param, "an array", type);
  ondemand::array a;
  if (auto ec = v.get_array().get(a)) return malformed_json(ec);
  std::size_t i = 0;
  for (auto element : a) {
    ondemand::value item;
    if (auto ec = std::move(element).get(item)) return malformed_json(ec);
    json_type item_type;
    if (auto err = read_type(item, item_type)) return err;
    if (item_type != json_type::object) return wrong_type(param.index(i), "an object", item_type);
    if (auto err = check_value(item, depth + 1)) return err;
    ++i;
  }
  return std::nullopt;
}

class chat_parser {
 public:
  chat_parser(std::string_view body, chat_request_info& info) : body_(body), info_(info) {}

  check_result field(std::string_view key, ondemand::value& v) {
    const field_id id = lookup(key);
    if (id == f_unknown) {
      if (key == "metadata") info_.has_metadata = true;
      return check_value(v, k_field_depth);  // kept as is, but must be well-formed
    }
    const param_path param(key);
    if (!seen_.insert(id)) return duplicate_field(param);
    json_type type;
    if (auto err = read_type(v, type)) return err;
    // Optional fields accept null as "not given", as OpenAI does.
    if (type == json_type::null && id != f_model && id != f_messages) {
      if (id == f_stream_options) {
        const std::string_view token = trim_token(v.raw_json_token());
        stream_options_null_ = true;
        null_offset_ = offset_in(body_, token);
        null_length_ = token.size();
      }
      return check_value(v, k_field_depth);
    }
    double number;
    std::int64_t integer;
    switch (id) {
      case f_model:
        has_model_ = true;
        return read_model(v, type, body_, info_.model);
      case f_messages:
        return messages(v, type);
      case f_stream:
        return read_bool(v, type, param, info_.stream);
      case f_stream_options:
        return stream_options(v, type);
      case f_temperature:
        return read_number(v, type, param, 0, 2, "a number between 0 and 2", number);
      case f_top_p:
        return read_number(v, type, param, 0, 1, "a number between 0 and 1", number);
      case f_presence_penalty:
      case f_frequency_penalty:
        return read_number(v, type, param, -2, 2, "a number between -2 and 2", number);
      case f_n:
        return read_integer(v, type, param, 1, k_int_max, info_.n);
      case f_max_tokens:
        if (auto err = read_integer(v, type, param, 1, k_int_max, integer)) return err;
        if (!seen_max_completion_tokens_) info_.max_tokens = integer;
        return std::nullopt;
      case f_max_completion_tokens:
        if (auto err = read_integer(v, type, param, 1, k_int_max, integer)) return err;
        seen_max_completion_tokens_ = true;
        info_.max_tokens = integer;
        return std::nullopt;
      case f_seed:
        return read_integer(v, type, param, k_int_min, k_int_max, integer);
      case f_top_logprobs:
        return read_integer(v, type, param, 0, 20, integer);
      case f_logprobs:
      case f_parallel_tool_calls: {
        bool flag;
        return read_bool(v, type, param, flag);
      }
      case f_stop:
        return stop(v, type, param);
      case f_tools:
        return check_array_of_objects(v, type, k_field_depth, param);
      case f_tool_choice:
        return check_typed(v, type, k_field_depth, param, {json_type::string, json_type::object},
                           "a string or an object");
      case f_response_format:
        return check_typed(v, type, k_field_depth, param, {json_type::object}, "an object");
      case f_user: {
        // The end user the client names, for usage records.
        std::string_view user;
        if (auto err = read_short_string(v, type, param, user)) return err;
        info_.user.assign(user);
        return std::nullopt;
      }
      case f_unknown:
        break;
    }
    return std::nullopt;
  }

  check_result finish(std::size_t object_offset) {
    if (!has_model_) return missing_field(param_path("model"));
    if (!has_messages_) return missing_field(param_path("messages"));
    if (info_.has_stream_options && !info_.stream) {
      return invalid_request("Invalid 'stream_options': only allowed when 'stream' is true.", "stream_options");
    }
    if (stream_options_null_) {
      info_.usage_edit = usage_splice::replace_stream_options;
      info_.usage_offset = null_offset_;
      info_.usage_length = null_length_;
    } else if (!info_.has_stream_options) {
      info_.usage_edit = usage_splice::add_stream_options;
      info_.usage_offset = object_offset + 1;
    } else if (info_.client_include_usage) {
      info_.usage_edit = usage_splice::none;
    } else if (include_usage_present_) {  // false or null
      info_.usage_edit = usage_splice::replace_include_usage;
      info_.usage_offset = null_offset_;
      info_.usage_length = null_length_;
    } else {
      info_.usage_edit =
          stream_options_has_fields_ ? usage_splice::add_include_usage_comma : usage_splice::add_include_usage;
      info_.usage_offset = stream_options_offset_ + 1;
    }
    return std::nullopt;
  }

 private:
  check_result stream_options(ondemand::value& v, json_type type) {
    if (type != json_type::object) return wrong_type(param_path("stream_options"), "an object", type);
    info_.has_stream_options = true;
    stream_options_offset_ = offset_in(body_, v.raw_json_token());
    ondemand::object o;
    if (auto ec = v.get_object().get(o)) return malformed_json(ec);
    for (auto field : o) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return malformed_json(ec);
      ondemand::value value;
      if (auto ec = field.value().get(value)) return malformed_json(ec);
      stream_options_has_fields_ = true;
      if (key != "include_usage") {
        if (auto err = check_value(value, k_field_depth + 1)) return err;
        continue;
      }
      const param_path param = param_path("stream_options").field("include_usage");
      if (include_usage_present_) return duplicate_field(param);
      include_usage_present_ = true;
      json_type value_type;
      if (auto err = read_type(value, value_type)) return err;
      const std::string_view token = trim_token(value.raw_json_token());
      null_offset_ = offset_in(body_, token);
      null_length_ = token.size();
      if (value_type == json_type::null) {
        if (auto err = check_value(value, k_field_depth + 1)) return err;
        continue;
      }
      if (auto err = read_bool(value, value_type, param, info_.client_include_usage)) return err;
    }
    return std::nullopt;
  }

  check_result stop(ondemand::value& v, json_type type, const param_path& param) {
    if (type == json_type::string) return check_string(v);
    if (type != json_type::array) return wrong_type(param, "a string or an array of strings", type);
    ondemand::array a;
    if (auto ec = v.get_array().get(a)) return malformed_json(ec);
    std::size_t i = 0;
    for (auto element : a) {
      ondemand::value item;
      if (auto ec = std::move(element).get(item)) return malformed_json(ec);
      json_type item_type;
      if (auto err = read_type(item, item_type)) return err;
      if (item_type != json_type::string) return wrong_type(param.index(i), "a string", item_type);
      if (auto err = check_string(item)) return err;
      ++i;
    }
    return std::nullopt;
  }

  check_result messages(ondemand::value& v, json_type type) {
    has_messages_ = true;
    const param_path param("messages");
    if (type != json_type::array) return wrong_type(param, "an array", type);
    ondemand::array a;
    if (auto ec = v.get_array().get(a)) return malformed_json(ec);
    std::size_t i = 0;
    for (auto element : a) {
      ondemand::value item;
      if (auto ec = std::move(element).get(item)) return malformed_json(ec);
      json_type item_type;
      if (auto err = read_type(item, item_type)) return err;
      if (item_type != json_type::object) return wrong_type(param.index(i), "an object", item_type);
      ondemand::object message;
      if (auto ec = item.get_object().get(message)) return malformed_json(ec);
      if (auto err = this->message(message, param.index(i))) return err;
      ++i;
    }
    if (i == 0) return empty_array(param);
    info_.message_count = i;
    return std::nullopt;
  }

  check_result message(ondemand::object& o, const param_path& path) {
    constexpr int depth = k_field_depth + 2;  // depth of a message's field values
    enum class content_state { absent, given, null };
    std::string_view role;
    bool has_role = false;
    content_state content = content_state::absent;
    bool has_tool_calls = false;  // a non-empty tool_calls, or a function_call
    seen_fields seen;
    for (auto field : o) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return malformed_json(ec);
      ondemand::value v;
      if (auto ec = field.value().get(v)) return malformed_json(ec);
      const unsigned bit = key == "role" ? 0 : key == "content" ? 1 : key == "tool_calls" ? 2 : 3;
      if (bit == 3) {
        if (key == "function_call") {
          json_type type;
          if (auto err = read_type(v, type)) return err;
          has_tool_calls = has_tool_calls || type == json_type::object;
        }
        if (auto err = check_value(v, depth)) return err;
        continue;
      }
      const param_path param = path.field(key);
      if (!seen.insert(bit)) return duplicate_field(param);
      json_type type;
      if (auto err = read_type(v, type)) return err;
      if (bit == 0) {
        if (auto err = read_short_string(v, type, param, role)) return err;
        has_role = true;
      } else if (bit == 1) {
        if (type == json_type::null) {
          content = content_state::null;
          if (auto err = check_value(v, depth)) return err;
        } else if (type == json_type::string) {
          content = content_state::given;
          if (auto err = check_string(v)) return err;
        } else if (type == json_type::array) {
          content = content_state::given;
          if (auto err = content_parts(v, param)) return err;
        } else {
          return wrong_type(param, "a string or an array of content parts", type);
        }
      } else {
        if (type == json_type::array) {
          ondemand::array calls;
          if (auto ec = v.get_array().get(calls)) return malformed_json(ec);
          std::size_t i = 0;
          for (auto element : calls) {
            ondemand::value call;
            if (auto ec = std::move(element).get(call)) return malformed_json(ec);
            json_type call_type;
            if (auto err = read_type(call, call_type)) return err;
            if (call_type != json_type::object) return wrong_type(param.index(i), "an object", call_type);
            if (auto err = check_value(call, depth + 1)) return err;
            ++i;
          }
          has_tool_calls = has_tool_calls || i > 0;
        } else if (type == json_type::null) {
          if (auto err = check_value(v, depth)) return err;
        } else {
          return wrong_type(param, "an array", type);
        }
      }
    }
    if (!has_role) return missing_field(path.field("role"));
    if (!known_role(role)) {
      std::string p = path.field("role").str();
      std::string message = "Invalid value for '" + p +
                            "': expected one of 'system', 'developer', 'user', 'assistant', 'tool' or 'function'.";
      return invalid_request(std::move(message), std::move(p));
    }
    if (content != content_state::given && !(role == "assistant" && has_tool_calls)) {
      if (content == content_state::absent) return missing_field(path.field("content"));
      std::string p = path.field("content").str();
      std::string message =
          "Invalid value for '" + p + "': null is only allowed in assistant messages that have tool_calls.";
      return invalid_request(std::move(message), std::move(p));
    }
    return std::nullopt;
  }

  // content: [{"type": "text", "text": "..."}, {"type": "image_url", ...}]
  check_result content_parts(ondemand::value& v, const param_path& param) {
    constexpr int part_depth = k_field_depth + 3;
    ondemand::array parts;
    if (auto ec = v.get_array().get(parts)) return malformed_json(ec);
    std::size_t i = 0;
    for (auto element : parts) {
      ondemand::value part;
      if (auto ec = std::move(element).get(part)) return malformed_json(ec);
      json_type part_type;
      if (auto err = read_type(part, part_type)) return err;
      if (part_type != json_type::object) return wrong_type(param.index(i), "an object", part_type);
      ondemand::object o;
      if (auto ec = part.get_object().get(o)) return malformed_json(ec);
      bool has_type = false;
      for (auto field : o) {
        std::string_view key;
        if (auto ec = field.unescaped_key().get(key)) return malformed_json(ec);
        ondemand::value value;
        if (auto ec = field.value().get(value)) return malformed_json(ec);
        if (key == "type") {
          const param_path type_param = param.index(i).field("type");
          if (has_type) return duplicate_field(type_param);
          has_type = true;
          json_type type;
          if (auto err = read_type(value, type)) return err;
          if (type != json_type::string) return wrong_type(type_param, "a string", type);
          if (auto err = check_string(value)) return err;
        } else if (auto err = check_value(value, part_depth + 1)) {
          return err;
        }
      }
      if (!has_type) return missing_field(param.index(i).field("type"));
      ++i;
    }
    return std::nullopt;
  }

  std::string_view body_;
  chat_request_info& info_;
  seen_fields seen_;
  bool has_model_ = false;
  bool has_messages_ = false;
  bool seen_max_completion_tokens_ = false;
  bool stream_options_null_ = false;
  bool stream_options_has_fields_ = false;
  bool include_usage_present_ = false;
  std::size_t stream_options_offset_ = 0;
  // The null (or false) token to replace: stream_options itself or include_usage.
  std::size_t null_offset_ = 0;
  std::size_t null_length_ = 0;
};

}  // namespace

boost::system::result<chat_request_info, gateway_error> parse_chat_request(std::string& body) {
  const simdjson::padded_string_view input = padded_view(body);  // may move the bytes: first
  chat_request_info info;
  chat_parser parser(body, info);
  std::size_t object_offset = 0;
  check_result err = for_each_root_field(
      input, object_offset, [&](std::string_view key, ondemand::value& v) { return parser.field(key, v); });
  if (!err) err = parser.finish(object_offset);
  if (err) return std::move(*err);
  return info;
}

std::string rewrite_chat_body(std::string_view body, const chat_request_info& info,
                              std::optional<std::string_view> new_model, bool inject_include_usage) {
  std::array<body_edit, 2> edits;
  std::size_t count = 0;
  if (inject_include_usage) {
    body_edit& e = edits[count];
    e.offset = info.usage_offset;
    switch (info.usage_edit) {
      case usage_splice::none:
        break;
      case usage_splice::add_stream_options:
        e.text = R"("stream_options":{"include_usage":true},)";
        ++count;
        break;
      case usage_splice::replace_stream_options:
        e.length = info.usage_length;
        e.text = R"({"include_usage":true})";
        ++count;
        break;
      case usage_splice::add_include_usage:
        e.text = R"("include_usage":true)";
        ++count;
        break;
      case usage_splice::add_include_usage_comma:
        e.text = R"("include_usage":true,)";
        ++count;
        break;
      case usage_splice::replace_include_usage:
        e.length = info.usage_length;
        e.text = "true";
        ++count;
        break;
    }
  }
  std::string model_text;
  if (new_model) {
    append_json_string(model_text, *new_model);
    edits[count++] = {info.model.offset, info.model.length, model_text};
  }
  if (count == 2 && edits[1].offset < edits[0].offset) std::swap(edits[0], edits[1]);
  return apply_edits(body, {edits.data(), count});
}

}  // namespace llmgw::api
