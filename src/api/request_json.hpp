#pragma once
// Helpers shared by the request validators (chat, embeddings): reading a body
// with simdjson On-Demand, checking the JSON that On-Demand skips, naming the
// offending field in errors, and splicing new bytes into a body.
#include "core/gateway_error.hpp"

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace llmgw::api {

namespace ondemand = simdjson::ondemand;

// Where a request's "model" string sits in its body, and the name it holds.
struct model_token {
  std::size_t offset = 0;  // of the opening quote
  std::size_t length = 0;  // of the whole token, quotes included
  std::string_view raw;    // between the quotes, as written (views the body)
  std::string decoded;     // the name when `raw` has escapes; empty otherwise

  // The model name. Views the body (or this token): valid while both live unchanged.
  std::string_view name() const { return decoded.empty() ? raw : std::string_view(decoded); }
};

// One replacement in a body: `length` bytes at `offset` become `text`.
struct body_edit {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string_view text;
};

// Applies edits sorted by offset and not overlapping.
std::string apply_edits(std::string_view body, std::span<const body_edit> edits);

// Replaces the model string token (offset, length as in model_token) by
// `new_model`, JSON-escaped.
std::string rewrite_model(std::string_view body, std::size_t offset, std::size_t length, std::string_view new_model);

// ---- validation plumbing ---------------------------------------------------

using check_result = std::optional<gateway_error>;

// A field path for error messages, e.g. messages[2].content[0].type. Built
// without allocation; turned into a string only when an error is reported.
class param_path {
 public:
  explicit param_path(std::string_view root) { push(root, k_name); }
  param_path field(std::string_view name) const {
    param_path p = *this;
    p.push(name, k_name);
    return p;
  }
  param_path index(std::size_t i) const {
    param_path p = *this;
    p.push({}, i);
    return p;
  }
  std::string str() const;

 private:
  static constexpr std::size_t k_name = static_cast<std::size_t>(-1);
  struct segment {
    std::string_view name;
    std::size_t index = k_name;
  };
  void push(std::string_view name, std::size_t index) {
    if (size_ < segments_.size()) segments_[size_++] = {name, index};
  }
  std::array<segment, 6> segments_{};
  std::size_t size_ = 0;
};

// Deepest nesting of arrays and objects accepted in a request body.
inline constexpr int k_max_depth = 128;

// Makes `body` padded as simdjson requires (by capacity, not content) and views it.
simdjson::padded_string_view padded_view(std::string& body);

// One On-Demand parser per thread: validators are synchronous, so it is
// never shared by two requests at once.
ondemand::parser& thread_parser();

gateway_error malformed_json(std::string_view detail);
gateway_error malformed_json(simdjson::error_code ec);
gateway_error missing_field(const param_path& param);
gateway_error wrong_type(const param_path& param, std::string_view expected, ondemand::json_type got);
gateway_error empty_array(const param_path& param);
gateway_error duplicate_field(const param_path& param);
gateway_error out_of_range(const param_path& param, std::string_view expected, std::string_view token);
gateway_error not_an_integer(const param_path& param, std::string_view token);

// The token as written, without the whitespace simdjson leaves after it.
std::string_view trim_token(std::string_view raw_token);

// Type of a value; a malformed token is reported as malformed JSON.
check_result read_type(ondemand::value& v, ondemand::json_type& type);

// Full checks of what On-Demand would otherwise skip without looking:
// escapes in strings, number grammar, literals, and the structure of every
// nested array and object.
check_result check_value(ondemand::value& v, int depth);
check_result check_string(ondemand::value& v);
check_result check_object_fields(ondemand::object& o, int depth);  // every field of an object

// Typed reads of known fields. `type` comes from read_type(); each read also
// checks the token, and names `param` when the type is wrong.
check_result read_bool(ondemand::value& v, ondemand::json_type type, const param_path& param, bool& out);
check_result read_number(ondemand::value& v, ondemand::json_type type, const param_path& param, double min, double max,
                         std::string_view range_text, double& out);
check_result read_integer(ondemand::value& v, ondemand::json_type type, const param_path& param, std::int64_t min,
                          std::int64_t max, std::int64_t& out);
// Small strings only (decoded through the parser): roles, enums, model names.
check_result read_short_string(ondemand::value& v, ondemand::json_type type, const param_path& param,
                               std::string_view& out);
// The model field: non-empty string, with its token position in `body`.
check_result read_model(ondemand::value& v, ondemand::json_type type, std::string_view body, model_token& out);

// "an object", "a string", ... for error messages.
std::string_view json_type_phrase(ondemand::json_type type);

// Offset of a token (a view into the padded body) from the start of `body`.
inline std::size_t offset_in(std::string_view body, std::string_view token) {
  return static_cast<std::size_t>(token.data() - body.data());
}

// Bit set of top-level fields already seen, to reject duplicates: two
// "model" keys would let the gateway and the vendor disagree on the model.
class seen_fields {
 public:
  // False when `bit` was already set.
  bool insert(unsigned bit) {
    const std::uint64_t mask = std::uint64_t{1} << bit;
    const bool fresh = (bits_ & mask) == 0;
    bits_ |= mask;
    return fresh;
  }

 private:
  std::uint64_t bits_ = 0;
};

// Parses `input` (from padded_view()) as a JSON object and calls
// `on_field(key, value)` for each top-level field, in order, stopping at the
// first error. `object_offset` receives the position of the opening '{'.
// Also rejects trailing content.
template <class OnField>
check_result for_each_root_field(simdjson::padded_string_view input, std::size_t& object_offset, OnField&& on_field) {
  const std::string_view body(input.data(), input.size());
  ondemand::parser& parser = thread_parser();
  ondemand::document doc;
  if (auto ec = parser.iterate(input).get(doc)) return malformed_json(ec);
  ondemand::json_type type;
  if (auto ec = doc.type().get(type)) return malformed_json(ec);
  if (type != ondemand::json_type::object) {
    std::string message = "The request body must be a JSON object, but it is ";
    message.append(json_type_phrase(type)).append(".");
    return invalid_request(std::move(message));
  }
  std::string_view open;
  if (auto ec = doc.raw_json_token().get(open)) return malformed_json(ec);
  object_offset = offset_in(body, open);
  ondemand::object root;
  if (auto ec = doc.get_object().get(root)) return malformed_json(ec);
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return malformed_json(ec);
    ondemand::value value;
    if (auto ec = field.value().get(value)) return malformed_json(ec);
    if (check_result err = on_field(key, value)) return err;
  }
  // After the object, the only valid thing is the end of the input.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return malformed_json("unexpected content after the JSON object");
  }
  return std::nullopt;
}

}  // namespace llmgw::api
