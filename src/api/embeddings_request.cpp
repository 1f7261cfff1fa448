#include "api/embeddings_request.hpp"

#include <limits>
#include <utility>

namespace llmgw::api {
namespace {

using json_type = ondemand::json_type;

constexpr int k_field_depth = 1;

class embeddings_parser {
 public:
  embeddings_parser(std::string_view body, embeddings_request_info& info) : body_(body), info_(info) {}

  check_result field(std::string_view key, ondemand::value& v) {
    const unsigned bit = key == "model"             ? 0
                         : key == "input"           ? 1
                         : key == "encoding_format" ? 2
                         : key == "dimensions"      ? 3
                         : key == "user"            ? 4
                                                    : 5;
    if (bit == 5) {
      if (key == "metadata") info_.has_metadata = true;
      return check_value(v, k_field_depth);  // unknown: kept, must be well-formed
    }
    const param_path param(key);
    if (!seen_.insert(bit)) return duplicate_field(param);
    json_type type;
    if (auto err = read_type(v, type)) return err;
    if (type == json_type::null && bit >= 2) return check_value(v, k_field_depth);  // optional: null is "not given"
    switch (bit) {
      case 0:
        has_model_ = true;
        return read_model(v, type, body_, info_.model);
      case 1:
        has_input_ = true;
        return input(v, type, param);
      case 2: {
        std::string_view format;
        if (auto err = read_short_string(v, type, param, format)) return err;
        if (format != "float" && format != "base64") {
          return invalid_request("Invalid value for 'encoding_format': expected 'float' or 'base64'.",
                                 "encoding_format");
        }
        info_.base64 = format == "base64";
        return std::nullopt;
      }
      case 3: {
        std::int64_t dimensions;
        if (auto err = read_integer(v, type, param, 1, std::numeric_limits<std::int64_t>::max(), dimensions)) {
          return err;
        }
        info_.dimensions = dimensions;
        return std::nullopt;
      }
      default: {
        std::string_view user;
        if (auto err = read_short_string(v, type, param, user)) return err;
        info_.user.assign(user);
        return std::nullopt;
      }
    }
  }

  check_result finish() {
    if (!has_model_) return missing_field(param_path("model"));
    if (!has_input_) return missing_field(param_path("input"));
    return std::nullopt;
  }

 private:
  check_result text(ondemand::value& v, const param_path& param) {
    if (auto err = check_string(v)) return err;
    const std::size_t bytes = trim_token(v.raw_json_token()).size() - 2;
    if (bytes == 0) {
      std::string p = param.str();
      std::string message = "Invalid '" + p + "': expected a non-empty string.";
      return invalid_request(std::move(message), std::move(p));
    }
    info_.input_bytes += bytes;
    return std::nullopt;
  }

  check_result token(ondemand::value& v, json_type type, const param_path& param) {
    std::int64_t id;
    if (auto err = read_integer(v, type, param, 0, std::numeric_limits<std::int64_t>::max(), id)) return err;
    ++info_.input_tokens;
    return std::nullopt;
  }

  // A non-empty array of token ids, inside the input array.
  check_result token_array(ondemand::value& v, const param_path& param) {
    ondemand::array a;
    if (auto ec = v.get_array().get(a)) return malformed_json(ec);
    std::size_t i = 0;
    for (auto element : a) {
      ondemand::value item;
      if (auto ec = std::move(element).get(item)) return malformed_json(ec);
      json_type type;
      if (auto err = read_type(item, type)) return err;
      if (auto err = token(item, type, param.index(i))) return err;
      ++i;
    }
    if (i == 0) return empty_array(param);
    return std::nullopt;
  }

  check_result input(ondemand::value& v, json_type type, const param_path& param) {
    if (type == json_type::string) {
      info_.input_kind = embeddings_input_kind::string;
      info_.input_count = 1;
      return text(v, param);
    }
    if (type != json_type::array) {
      return wrong_type(param, "a string, an array of strings, an array of integers or an array of integer arrays",
                        type);
    }
    ondemand::array a;
    if (auto ec = v.get_array().get(a)) return malformed_json(ec);
    std::size_t i = 0;
    json_type first = json_type::null;
    for (auto element : a) {
      ondemand::value item;
      if (auto ec = std::move(element).get(item)) return malformed_json(ec);
      json_type item_type;
      if (auto err = read_type(item, item_type)) return err;
      const param_path item_param = param.index(i);
      if (i == 0) {
        if (item_type != json_type::string && item_type != json_type::number && item_type != json_type::array) {
          return wrong_type(item_param, "a string, an integer or an array of integers", item_type);
        }
        first = item_type;
      } else if (item_type != first) {
        // Every element has the kind of the first one.
        const std::string_view expected = first == json_type::string   ? "a string"
                                          : first == json_type::number ? "an integer"
                                                                       : "an array of integers";
        return wrong_type(item_param, expected, item_type);
      }
      if (item_type == json_type::string) {
        if (auto err = text(item, item_param)) return err;
      } else if (item_type == json_type::number) {
        if (auto err = token(item, item_type, item_param)) return err;
      } else {
        if (auto err = token_array(item, item_param)) return err;
      }
      ++i;
    }
    if (i == 0) return empty_array(param);
    switch (first) {
      case json_type::string:
        info_.input_kind = embeddings_input_kind::strings;
        info_.input_count = i;
        break;
      case json_type::number:
        info_.input_kind = embeddings_input_kind::tokens;
        info_.input_count = 1;
        break;
      default:
        info_.input_kind = embeddings_input_kind::token_arrays;
        info_.input_count = i;
        break;
    }
    return std::nullopt;
  }

  std::string_view body_;
  embeddings_request_info& info_;
  seen_fields seen_;
  bool has_model_ = false;
  bool has_input_ = false;
};

}  // namespace

boost::system::result<embeddings_request_info, gateway_error> parse_embeddings_request(std::string& body) {
  const simdjson::padded_string_view input = padded_view(body);  // may move the bytes: first
  embeddings_request_info info;
  embeddings_parser parser(body, info);
  std::size_t object_offset = 0;
  check_result err = for_each_root_field(
      input, object_offset, [&](std::string_view key, ondemand::value& v) { return parser.field(key, v); });
  if (!err) err = parser.finish();
  if (err) return std::move(*err);
  return info;
}

}  // namespace llmgw::api
