#include "api/request_json.hpp"

#include "core/header_value.hpp"
#include "core/json_escape.hpp"

#include <cstring>
#include <limits>

namespace llmgw::api {
namespace {

using json_type = ondemand::json_type;

}  // namespace

std::string_view json_type_phrase(json_type t) {
  switch (t) {
    case json_type::array:
      return "an array";
    case json_type::object:
      return "an object";
    case json_type::number:
      return "a number";
    case json_type::string:
      return "a string";
    case json_type::boolean:
      return "a boolean";
    case json_type::null:
      return "null";
  }
  return "an unknown value";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number grammar; simdjson only checks numbers it is asked to read.
bool valid_number(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && is_digit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    const std::size_t first = ++i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == first) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t first = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == first) return false;
  }
  return i == n;
}

bool read_hex4(const char* p, const char* end, unsigned& out) {
  if (end - p < 4) return false;
  out = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = p[k];
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    out = out << 4 | digit;
  }
  return true;
}

// Escapes inside a string (the text between its quotes). simdjson's stage 1
// already rejected raw control characters and invalid UTF-8; escapes are only
// checked when a string is decoded, and long contents are never decoded here.
bool valid_escapes(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (p == nullptr) return true;
    if (end - p < 2) return false;
    switch (p[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p += 2;
        continue;
      case 'u':
        break;
      default:
        return false;
    }
    unsigned cp;
    if (!read_hex4(p + 2, end, cp)) return false;
    p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // low surrogate without a high one
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low;
      if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !read_hex4(p + 2, end, low) || low < 0xDC00 || low > 0xDFFF) {
        return false;
      }
      p += 6;
    }
  }
  return true;
}

check_result check_string_token(std::string_view token) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return malformed_json("a string is not closed");
  if (!valid_escapes(token.substr(1, token.size() - 2))) return malformed_json("invalid escape sequence in a string");
  return std::nullopt;
}

check_result check_scalar(ondemand::value& v, json_type type) {
  const std::string_view token = trim_token(v.raw_json_token());
  switch (type) {
    case json_type::string:
      return check_string_token(token);
    case json_type::number:
      if (!valid_number(token)) return malformed_json("invalid number");
      return std::nullopt;
    case json_type::boolean:
      if (token != "true" && token != "false") return malformed_json("invalid literal");
      return std::nullopt;
    case json_type::null:
      if (token != "null") return malformed_json("invalid literal");
      return std::nullopt;
    default:
      return malformed_json("unexpected value");
  }
}

// Truncated copy of a number token for an error message.
std::string_view shown(std::string_view token) { return token.substr(0, 32); }

}  // namespace

// ---- body edits --------------------------------------------------------------

std::string apply_edits(std::string_view body, std::span<const body_edit> edits) {
  std::size_t size = body.size();
  for (const auto& e : edits) size = size - e.length + e.text.size();
  std::string out;
  out.reserve(size);
  std::size_t at = 0;
  for (const auto& e : edits) {
    out.append(body.substr(at, e.offset - at));
    out.append(e.text);
    at = e.offset + e.length;
  }
  out.append(body.substr(at));
  return out;
}

std::string rewrite_model(std::string_view body, std::size_t offset, std::size_t length, std::string_view new_model) {
  std::string token;
  append_json_string(token, new_model);
  const body_edit edit{offset, length, token};
  return apply_edits(body, {&edit, 1});
}

// ---- errors ------------------------------------------------------------------

std::string param_path::str() const {
  std::string out;
  for (std::size_t i = 0; i < size_; ++i) {
    const segment& s = segments_[i];
    if (s.index != k_name) {
      out.push_back('[');
      out.append(std::to_string(s.index));
      out.push_back(']');
    } else {
      if (i != 0) out.push_back('.');
      out.append(s.name);
    }
  }
  return out;
}

gateway_error malformed_json(std::string_view detail) {
  std::string message = "We could not parse the JSON body of your request (";
  message.append(detail);
  message.append("). The API expects a body that is a valid JSON object.");
  return invalid_request(std::move(message));
}

gateway_error malformed_json(simdjson::error_code ec) {
  std::string_view detail = simdjson::error_message(ec);
  if (!detail.empty() && detail.back() == '.') detail.remove_suffix(1);
  return malformed_json(detail);
}

// Each message is built before `p` is moved into the error: argument
// evaluation order is unspecified.
gateway_error missing_field(const param_path& param) {
  std::string p = param.str();
  std::string message = "Missing required parameter: '" + p + "'.";
  return invalid_request(std::move(message), std::move(p));
}

gateway_error wrong_type(const param_path& param, std::string_view expected, json_type got) {
  std::string p = param.str();
  std::string message = "Invalid type for '" + p + "': expected ";
  message.append(expected).append(", but got ").append(json_type_phrase(got)).append(" instead.");
  return invalid_request(std::move(message), std::move(p));
}

gateway_error empty_array(const param_path& param) {
  std::string p = param.str();
  std::string message = "Invalid '" + p + "': empty array. Expected an array with at least one element.";
  return invalid_request(std::move(message), std::move(p));
}

gateway_error duplicate_field(const param_path& param) {
  std::string p = param.str();
  std::string message = "Invalid '" + p + "': the field appears more than once.";
  return invalid_request(std::move(message), std::move(p));
}

gateway_error out_of_range(const param_path& param, std::string_view expected, std::string_view token) {
  std::string p = param.str();
  std::string message = "Invalid '" + p + "': expected ";
  message.append(expected).append(", but got ").append(shown(token)).append(" instead.");
  return invalid_request(std::move(message), std::move(p));
}

gateway_error not_an_integer(const param_path& param, std::string_view token) {
  std::string p = param.str();
  std::string message = "Invalid type for '" + p + "': expected an integer, but got a decimal number (";
  message.append(shown(token)).append(") instead.");
  return invalid_request(std::move(message), std::move(p));
}

// ---- parsing plumbing ----------------------------------------------------------

simdjson::padded_string_view padded_view(std::string& body) {
  const std::size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
  if (body.capacity() < needed) body.reserve(needed);
  return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}

ondemand::parser& thread_parser() {
  thread_local ondemand::parser parser;
  // A parser keeps buffers sized for the largest document it has seen (several
  // bytes per input byte); after a rare huge body, start again small.
  constexpr std::size_t k_keep_capacity = 1 << 20;
  if (parser.capacity() > k_keep_capacity) parser = ondemand::parser{};
  return parser;
}

std::string_view trim_token(std::string_view raw_token) {
  while (!raw_token.empty()) {
    const char c = raw_token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    raw_token.remove_suffix(1);
  }
  return raw_token;
}

check_result read_type(ondemand::value& v, json_type& type) {
  if (auto ec = v.type().get(type)) return malformed_json(ec);
  return std::nullopt;
}

check_result check_object_fields(ondemand::object& o, int depth) {
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return malformed_json(ec);  // also checks the key's escapes
    ondemand::value v;
    if (auto ec = field.value().get(v)) return malformed_json(ec);
    if (auto err = check_value(v, depth + 1)) return err;
  }
  return std::nullopt;
}

check_result check_value(ondemand::value& v, int depth) {
  json_type type;
  if (auto err = read_type(v, type)) return err;
  if (type != json_type::array && type != json_type::object) return check_scalar(v, type);
  if (depth >= k_max_depth) {
    return invalid_request("The JSON body nests arrays and objects more than " + std::to_string(k_max_depth) +
                           " levels deep.");
  }
  if (type == json_type::object) {
    ondemand::object o;
    if (auto ec = v.get_object().get(o)) return malformed_json(ec);
    return check_object_fields(o, depth);
  }
  ondemand::array a;
  if (auto ec = v.get_array().get(a)) return malformed_json(ec);
  for (auto element : a) {
    ondemand::value item;
    if (auto ec = std::move(element).get(item)) return malformed_json(ec);
    if (auto err = check_value(item, depth + 1)) return err;
  }
  return std::nullopt;
}

check_result check_string(ondemand::value& v) { return check_string_token(trim_token(v.raw_json_token())); }

check_result read_bool(ondemand::value& v, json_type type, const param_path& param, bool& out) {
  if (type != json_type::boolean) return wrong_type(param, "a boolean", type);
  if (auto err = check_scalar(v, type)) return err;
  if (auto ec = v.get_bool().get(out)) return malformed_json(ec);
  return std::nullopt;
}

check_result read_number(ondemand::value& v, json_type type, const param_path& param, double min, double max,
                         std::string_view range_text, double& out) {
  if (type != json_type::number) return wrong_type(param, "a number", type);
  const std::string_view token = trim_token(v.raw_json_token());
  if (!valid_number(token)) return malformed_json("invalid number");
  // Only overflow (1e400) fails here: the grammar was checked above.
  if (v.get_double().get(out) || !(out >= min && out <= max)) return out_of_range(param, range_text, token);
  return std::nullopt;
}

check_result read_integer(ondemand::value& v, json_type type, const param_path& param, std::int64_t min,
                          std::int64_t max, std::int64_t& out) {
  if (type != json_type::number) return wrong_type(param, "an integer", type);
  const std::string_view token = trim_token(v.raw_json_token());
  if (!valid_number(token)) return malformed_json("invalid number");
  const auto range_text = [&] {
    constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
    constexpr auto highest = std::numeric_limits<std::int64_t>::max();
    if (max == highest) return "an integer greater than or equal to " + std::to_string(min);
    if (min == lowest) return "an integer less than or equal to " + std::to_string(max);
    return "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  };
  ondemand::number number;
  if (v.get_number().get(number)) return out_of_range(param, range_text(), token);
  switch (number.get_number_type()) {
    case ondemand::number_type::floating_point_number:
      return not_an_integer(param, token);
    case ondemand::number_type::unsigned_integer:
      return out_of_range(param, range_text(), token);
    case ondemand::number_type::signed_integer:
      break;
  }
  out = number.get_int64();
  if (out < min || out > max) return out_of_range(param, range_text(), token);
  return std::nullopt;
}

check_result read_short_string(ondemand::value& v, json_type type, const param_path& param, std::string_view& out) {
  if (type != json_type::string) return wrong_type(param, "a string", type);
  if (auto ec = v.get_string().get(out)) return malformed_json(ec);
  return std::nullopt;
}

check_result read_model(ondemand::value& v, json_type type, std::string_view body, model_token& out) {
  const param_path param("model");
  if (type != json_type::string) return wrong_type(param, "a string", type);
  const std::string_view token = trim_token(v.raw_json_token());
  std::string_view decoded;
  if (auto ec = v.get_string().get(decoded)) return malformed_json(ec);
  if (decoded.empty()) return invalid_request("Invalid 'model': expected a non-empty string.", "model");
  // The served model name is sent back in the x-llmgw-model header.
  if (has_control_char(decoded)) {
    return invalid_request("Invalid 'model': control characters are not allowed in a model name.", "model");
  }
  out.offset = offset_in(body, token);
  out.length = token.size();
  out.raw = token.substr(1, token.size() - 2);
  if (out.raw.find('\\') != std::string_view::npos) {
    out.decoded.assign(decoded);
  } else {
    out.decoded.clear();
  }
  return std::nullopt;
}

}  // namespace llmgw::api
