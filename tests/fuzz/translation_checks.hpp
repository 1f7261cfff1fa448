#pragma once
// What the translator fuzz targets check of a translated body, whatever the
// input: it is one JSON object, and the texts and tool-call ids of the input
// are all in it, byte for byte (a translation may move, merge or wrap them,
// never change or drop them).
#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "fuzz_support.hpp"

namespace llmgw::fuzz {

// Every string (keys too) of `v`, each followed by a NUL, so a text found in
// the result is found inside one string, never across two.
inline void collect_strings(const boost::json::value& v, std::string& out) {
  if (v.is_string()) {
    out.append(v.get_string());
    out.push_back('\0');
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) collect_strings(e, out);
  } else if (v.is_object()) {
    for (const auto& [k, e] : v.get_object()) {
      out.append(k);
      out.push_back('\0');
      collect_strings(e, out);
    }
  }
}

// The strings of a translated body, which must be one JSON object.
inline std::string strings_of_object(const char* target, std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  check(!ec && v.is_object(), target, "the translation is not a JSON object");
  std::string out;
  collect_strings(v, out);
  return out;
}

// `text` (when not empty) is inside one of the strings.
inline void check_kept(const char* target, const std::string& strings, std::string_view text, const char* what) {
  if (text.empty()) return;
  check(strings.find(text) != std::string::npos, target, what);
}

}  // namespace llmgw::fuzz
