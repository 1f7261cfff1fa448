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

// A DOM parser and a padded copy of the text it reads, kept by a thread so
// that a typical request costs no allocation. A parser keeps buffers of
// about 14 bytes per byte of the largest text it has read (tape, strings,
// structural indexes): buffers grown for a text longer than `keep` bytes
// are given back once that text's document is done with.
class reusable_parser {
 public:
  explicit reusable_parser(std::size_t keep) : keep_(keep) {}
  // Bytes of text the buffers held now are sized for.
  std::size_t capacity() const { return parser_.capacity(); }

 private:
  friend class parsed_json;
  simdjson::dom::parser parser_;
  std::string copy_;
  std::size_t keep_;
};

// One text parsed by a reusable parser; the document (and every element
// read from it) lives as long as this object, and the parser serves one at
// a time.
class parsed_json {
 public:
  parsed_json(reusable_parser& parser, std::string_view text);
  ~parsed_json();
  parsed_json(const parsed_json&) = delete;
  parsed_json& operator=(const parsed_json&) = delete;

  bool ok() const { return error_ == simdjson::SUCCESS; }
  simdjson::dom::element root() const { return root_; }  // when ok()

 private:
  reusable_parser& parser_;
  simdjson::dom::element root_;
  simdjson::error_code error_;
};

}  // namespace llmgw::cache
