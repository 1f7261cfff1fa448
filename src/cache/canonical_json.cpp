#include "cache/canonical_json.hpp"

#include <algorithm>
#include <vector>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"

namespace llmgw::cache {

namespace dom = simdjson::dom;

void append_text(std::string& out, std::string_view text) {
  out.push_back('\'');
  append_number(out, text.size());
  out.push_back(':');
  out.append(text);
}

void append_canonical_json(std::string& out, dom::element v) {
  switch (v.type()) {
    case dom::element_type::OBJECT: {
      const dom::object o = object_of(v);
      std::vector<dom::key_value_pair> fields;
      fields.reserve(o.size());
      for (dom::key_value_pair kv : o) fields.push_back(kv);
      std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
      out.push_back('{');
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, fields[i].key);
        out.push_back(':');
        append_canonical_json(out, fields[i].value);
      }
      out.push_back('}');
      break;
    }
    case dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (dom::element x : array_of(v)) {
        if (!first) out.push_back(',');
        first = false;
        append_canonical_json(out, x);
      }
      out.push_back(']');
      break;
    }
    case dom::element_type::STRING:
      append_text(out, v.get_string().value_unsafe());
      break;
    case dom::element_type::INT64:
      append_number(out, v.get_int64().value_unsafe());
      break;
    case dom::element_type::UINT64:
      append_number(out, v.get_uint64().value_unsafe());
      break;
    case dom::element_type::DOUBLE:
      append_number(out, v.get_double().value_unsafe());
      break;
    case dom::element_type::BOOL:
      out.append(v.get_bool().value_unsafe() ? "true" : "false");
      break;
    case dom::element_type::NULL_VALUE:
      out.append("null");
      break;
  }
}

parsed_json::parsed_json(reusable_parser& parser, std::string_view text) : parser_(parser) {
  parser_.copy_.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  parser_.copy_.assign(text);
  const std::string& copy = parser_.copy_;
  error_ = parser_.parser_.parse(simdjson::padded_string_view(copy.data(), copy.size(), copy.capacity())).get(root_);
}

parsed_json::~parsed_json() {
  if (parser_.parser_.capacity() > parser_.keep_) parser_.parser_ = dom::parser{};
  if (parser_.copy_.capacity() > parser_.keep_ + simdjson::SIMDJSON_PADDING) std::string().swap(parser_.copy_);
}

}  // namespace llmgw::cache
