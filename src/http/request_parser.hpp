#pragma once
// HTTP/1.1 request framing (RFC 9112), without I/O: the request line and
// header fields of one request, and the chunked body decoder. The server
// feeds them the bytes it reads; they decide where a request ends, and
// refuse everything whose framing two parsers could read differently
// (request smuggling) or that would make the server buffer without bound.
//
// Strict on purpose: CRLF line ends only, no whitespace before a field's
// colon, no obs-fold, one Content-Length value, Transfer-Encoding only as a
// final `chunked` and never beside Content-Length, Host required in HTTP/1.1,
// methods case-sensitive (RFC 9110 §9.1).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::http {

struct request_limits {
  std::size_t max_header_bytes = 16 * 1024;       // request line + fields (+ chunked trailers)
  std::size_t max_body_bytes = 10 * 1024 * 1024;  // decoded body
  std::size_t max_fields = 128;                   // header fields (and trailer fields)
  std::size_t max_chunk_line = 1024;              // chunk size with its extensions
};

// Why a request cannot be served; each maps to one status.
enum class framing_error : std::uint8_t {
  none,
  bad_request,          // 400: malformed or ambiguous framing
  header_too_large,     // 431
  body_too_large,       // 413
  not_implemented,      // 501: a transfer coding or method we do not implement
  version_unsupported,  // 505
};

int status_of(framing_error e);

struct field {
  std::string_view name;
  std::string_view value;
};

// The request line and fields of one request. Every view points into the
// buffer given to parse_head and is valid as long as those bytes are.
struct request_head {
  std::string_view method;
  std::string_view target;
  int version_minor = 1;  // HTTP/1.<minor>: 0 or 1
  std::vector<field> fields;
  bool keep_alive = true;
  bool chunked = false;
  std::uint64_t content_length = 0;  // when !chunked
  bool expect_continue = false;
  std::size_t size = 0;  // bytes of the head, with the empty line that ends it

  // Case-insensitive; empty when absent.
  std::string_view find(std::string_view name) const;
  bool has_body() const { return chunked || content_length > 0; }
};

struct head_result {
  framing_error error = framing_error::none;
  bool complete = false;  // false with no error: more bytes are needed
  std::string_view why;   // for the error message: static text
};

// Parses the head at the start of `buf` (leading empty lines are skipped and
// counted in head.size). Incomplete heads are refused as soon as they pass
// the header limit, and malformed lines as soon as they are seen. Whatever
// the result, head.target is the request's target once its request line was
// read and empty before (so an error can be answered in the API called).
head_result parse_head(std::string_view buf, const request_limits& limits, request_head& head);

// RFC 9110 §5.6.2 token (a method, a field name).
bool is_token(std::string_view s);
// A field value as RFC 9110 §5.5 allows it here: VCHAR, obs-text, SP and
// HTAB; no CR, LF, NUL or other control character.
bool is_field_value(std::string_view s);

// True for the methods the server knows (RFC 9110 §9 and PATCH); others get 501.
bool is_known_method(std::string_view method);

// Decodes a chunked body incrementally. Every part of the framing is bounded:
// a size line with its extensions by max_chunk_line, the decoded body by
// max_body_bytes, the trailer section by what the head left of
// max_header_bytes (and max_fields). Trailer fields are read and dropped.
class chunked_decoder {
 public:
  chunked_decoder(const request_limits& limits, std::size_t head_bytes);

  // Consumes bytes from `in`, appending body data to `out`. Returns how many
  // bytes of `in` were used: fewer than in.size() only once done() (the rest
  // belongs to the next request) or failed().
  std::size_t feed(std::string_view in, std::string& out);

  bool done() const { return state_ == state::done; }
  bool failed() const { return error_ != framing_error::none; }
  framing_error error() const { return error_; }
  std::string_view why() const { return why_; }
  std::uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class state : std::uint8_t { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done };
  std::size_t fail(framing_error e, std::string_view why, std::size_t used);

  std::size_t max_body_;
  std::size_t max_line_;
  std::size_t trailer_budget_;
  std::size_t max_fields_;
  state state_ = state::size;
  std::uint64_t chunk_left_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::size_t line_bytes_ = 0;  // of the current size or trailer line
  std::size_t size_digits_ = 0;
  std::size_t trailer_fields_ = 0;
  framing_error error_ = framing_error::none;
  std::string_view why_;
};

}  // namespace llmgw::http
