#pragma once
// One text form of any JSON value, for hashing (the cache key's canonical
// form): objects with their keys sorted, recursively; texts as their length
// and bytes; numbers in their shortest form, so 1 and 1.0 are one number.
// Read from simdjson's DOM, with a parser the thread keeps.
#include <simdjson.h>

#include <string>
#include <string_view>

namespace llmgw::cache {

// Appends `text` as its length and its bytes: the form is only hashed, and a
// length makes a text as unambiguous as JSON's quotes and escapes, which
// cost some four instructions a byte of every message on each lookup.
void append_text(std::string& out, std::string_view text);

// Appends the form of `v`.
void append_canonical_json(std::string& out, simdjson::dom::element v);

// The array or object an element of that type holds. By value: a loop over
// `get_array().value_unsafe()` would read a temporary that is gone.
inline simdjson::dom::array array_of(simdjson::dom::element v) { return v.get_array().value_unsafe(); }
inline simdjson::dom::object object_of(simdjson::dom::element v) { return v.get_object().value_unsafe(); }

// A DOM parser and a padded copy of the text it reads, kept by the thread
// (a typical request costs no allocation). Both restart small after a rare
// huge text: a parser keeps buffers of several bytes per input byte.
class reusable_parser {
 public:
  // The document lives until the next parse() on this parser.
  simdjson::error_code parse(std::string_view text, simdjson::dom::element& root);

 private:
  simdjson::dom::parser parser_;
  std::string copy_;
};

}  // namespace llmgw::cache
