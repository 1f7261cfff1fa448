#include "http/request_parser.hpp"

#include <array>
#include <cstring>

#include "core/hex.hpp"
#include "core/swar.hpp"
#include "http/header_name.hpp"

namespace llmgw::http {

namespace {

// RFC 9110 §5.6.2: tchar (http/header_name.hpp's rule), as a table.
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = is_tchar(static_cast<char>(c));
  return t;
}
constexpr auto k_tchar = make_tchar_table();

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated list.
template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trim_ows(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

head_result error(framing_error e, std::string_view why) { return head_result{e, false, why}; }

// The request line: method SP request-target SP HTTP-version.
head_result parse_request_line(std::string_view line, request_head& head) {
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return error(framing_error::bad_request, "Malformed request line.");
  head.method = line.substr(0, sp1);
  if (!is_token(head.method)) return error(framing_error::bad_request, "Malformed request method.");
  auto rest = line.substr(sp1 + 1);
  auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos || sp2 == 0) return error(framing_error::bad_request, "Malformed request line.");
  auto target = rest.substr(0, sp2);
  auto version = rest.substr(sp2 + 1);
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) return error(framing_error::bad_request, "Malformed request target.");
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return error(framing_error::bad_request, "Malformed HTTP version.");
  }
  if (version[5] != '1' || version[7] > '1') {
    return error(framing_error::version_unsupported, "Only HTTP/1.1 and HTTP/1.0 are supported.");
  }
  head.version_minor = version[7] - '0';

  // origin-form; absolute-form (RFC 9112 §3.2.2: a server must accept it) is
  // reduced to its path; "*" only for OPTIONS; authority-form is CONNECT's.
  if (target.front() == '/') {
    head.target = target;
  } else if (target == "*" && head.method == "OPTIONS") {
    head.target = target;
  } else if (auto scheme_end = target.find("://");
             scheme_end != std::string_view::npos &&
             (iequals(target.substr(0, scheme_end), "http") || iequals(target.substr(0, scheme_end), "https"))) {
    auto path = target.find('/', scheme_end + 3);
    if (path == std::string_view::npos) return error(framing_error::bad_request, "Malformed request target.");
    head.target = target.substr(path);
  } else {
    return error(framing_error::bad_request, "Malformed request target.");
  }
  return {};
}

// What the fields say about framing and the connection (RFC 9112 §6, §9).
head_result interpret_fields(request_head& head) {
  head.keep_alive = head.version_minor >= 1;
  bool has_length = false;
  bool has_te = false;
  bool te_chunked_last = false;
  bool te_other = false;
  int chunked_count = 0;
  int hosts = 0;
  bool bad_length = false;
  bool conflicting_length = false;
  bool length_too_large = false;

  for (const auto& f : head.fields) {
    if (iequals(f.name, "content-length")) {
      // "42" or the same value repeated ("42, 42", or in two fields).
      bool any = false;
      std::string_view list = f.value;
      for_each_element(list, [&](std::string_view item) {
        any = true;
        std::uint64_t v = 0;
        for (char c : item) {
          if (c < '0' || c > '9') {
            bad_length = true;
            return;
          }
          if (v > (UINT64_MAX - 9) / 10) {
            length_too_large = true;
            return;
          }
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (has_length && v != head.content_length) conflicting_length = true;
        head.content_length = v;
        has_length = true;
      });
      if (!any) bad_length = true;
    } else if (iequals(f.name, "transfer-encoding")) {
      has_te = true;
      for_each_element(f.value, [&](std::string_view coding) {
        if (te_chunked_last) te_other = true;  // something after chunked: chunked is not final
        if (iequals(coding, "chunked")) {
          ++chunked_count;
          te_chunked_last = true;
          te_other = te_other || chunked_count > 1;
        } else {
          te_chunked_last = false;
          te_other = true;
        }
      });
    } else if (iequals(f.name, "host")) {
      ++hosts;
    } else if (iequals(f.name, "connection")) {
      for_each_element(f.value, [&](std::string_view opt) {
        if (iequals(opt, "close")) head.keep_alive = false;
        if (iequals(opt, "keep-alive") && head.version_minor == 0) head.keep_alive = true;
      });
    } else if (iequals(f.name, "expect")) {
      if (iequals(trim_ows(f.value), "100-continue") && head.version_minor >= 1) head.expect_continue = true;
    }
  }

  if (head.version_minor >= 1 && hosts == 0) return error(framing_error::bad_request, "Missing Host header.");
  if (hosts > 1) return error(framing_error::bad_request, "More than one Host header.");
  if (bad_length) return error(framing_error::bad_request, "Malformed Content-Length.");
  if (conflicting_length) return error(framing_error::bad_request, "Conflicting Content-Length values.");
  if (has_te) {
    // RFC 9112 §6.1 and §6.3: Transfer-Encoding is HTTP/1.1 only, never
    // beside Content-Length, and chunked must be its final coding.
    if (head.version_minor == 0) return error(framing_error::bad_request, "Transfer-Encoding in an HTTP/1.0 request.");
    if (has_length || length_too_large) {
      return error(framing_error::bad_request, "Both Transfer-Encoding and Content-Length are present.");
    }
    if (!te_chunked_last || chunked_count != 1) {
      return error(framing_error::bad_request, "Transfer-Encoding must end with a single chunked coding.");
    }
    if (te_other) return error(framing_error::not_implemented, "Only the chunked transfer coding is supported.");
    head.chunked = true;
    head.content_length = 0;
    return {};
  }
  if (length_too_large) return error(framing_error::body_too_large, "Request body exceeds the limit.");
  return {};
}

}  // namespace

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  // Four lookups a step and no branch until the end: every header name of a
  // request goes through here, short and nearly always valid. (Response
  // header names are checked when the program is compiled:
  // http/header_name.hpp.)
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  bool ok = true;
  std::size_t i = 0;
  for (; i + 4 <= s.size(); i += 4) ok &= k_tchar[p[i]] & k_tchar[p[i + 1]] & k_tchar[p[i + 2]] & k_tchar[p[i + 3]];
  for (; i < s.size(); ++i) ok &= k_tchar[p[i]];
  return ok;
}

bool is_field_value(std::string_view s) {
  std::size_t i = 0;
  // Eight bytes at a time while none is a control byte: every response
  // header the gateway writes is checked, nearly always clean.
  if constexpr (swar::available) {
    for (; i + 8 <= s.size(); i += 8) {
      const std::uint64_t w = swar::load(s.data() + i);
      if ((swar::bytes_below(w, 0x20) | swar::bytes_equal(w, 0x7f)) != 0) break;  // a tab, or a refusal: byte by byte
    }
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

int status_of(framing_error e) {
  switch (e) {
    case framing_error::none:
      return 200;
    case framing_error::bad_request:
      return 400;
    case framing_error::header_too_large:
      return 431;
    case framing_error::body_too_large:
      return 413;
    case framing_error::not_implemented:
      return 501;
    case framing_error::version_unsupported:
      return 505;
  }
  return 400;
}

bool is_known_method(std::string_view m) {
  return m == "GET" || m == "POST" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "PATCH";
}

std::string_view request_head::find(std::string_view name) const {
  for (const auto& f : fields)
    if (iequals(f.name, name)) return f.value;
  return {};
}

head_result parse_head(std::string_view buf, const request_limits& limits, request_head& head) {
  // Views of an earlier parse may point where the buffer no longer is.
  head.method = head.target = {};
  head.fields.clear();
  head.chunked = false;
  head.content_length = 0;
  head.expect_continue = false;

  // RFC 9112 §2.2: empty lines before the request line are ignored (a few).
  std::size_t pos = 0;
  for (int skipped = 0; pos + 1 < buf.size() && buf[pos] == '\r' && buf[pos + 1] == '\n'; ++skipped) {
    if (skipped == 8) return error(framing_error::bad_request, "Too many empty lines before the request.");
    pos += 2;
  }
  const std::size_t start = pos;
  bool first = true;
  for (;;) {
    const std::size_t budget_end = start + limits.max_header_bytes;
    const std::size_t scan_end = std::min(buf.size(), budget_end);
    const void* nl = pos < scan_end ? std::memchr(buf.data() + pos, '\n', scan_end - pos) : nullptr;
    if (!nl) {
      if (buf.size() >= budget_end) {
        return error(framing_error::header_too_large, "Request header fields exceed the limit.");
      }
      return {};  // need more
    }
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
    if (lf == pos || buf[lf - 1] != '\r') return error(framing_error::bad_request, "Bare LF in the request head.");
    std::string_view line = buf.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.find('\r') != std::string_view::npos)
      return error(framing_error::bad_request, "Bare CR in the request head.");

    if (first) {
      first = false;
      if (auto r = parse_request_line(line, head); r.error != framing_error::none) return r;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') {
      return error(framing_error::bad_request, "Folded header lines are not accepted.");
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return error(framing_error::bad_request, "Malformed header line.");
    auto name = line.substr(0, colon);
    if (!is_token(name)) return error(framing_error::bad_request, "Malformed header field name.");
    auto value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return error(framing_error::bad_request, "Control character in a header value.");
    if (head.fields.size() == limits.max_fields) {
      return error(framing_error::header_too_large, "Too many request header fields.");
    }
    head.fields.push_back({name, value});
  }
  head.size = pos;
  if (auto r = interpret_fields(head); r.error != framing_error::none) return r;
  if (!head.chunked && head.content_length > limits.max_body_bytes) {
    return error(framing_error::body_too_large, "Request body exceeds the limit.");
  }
  return head_result{framing_error::none, true, {}};
}

// ---------------------------------------------------------------- chunked

chunked_decoder::chunked_decoder(const request_limits& limits, std::size_t head_bytes)
    : max_body_(limits.max_body_bytes),
      max_line_(limits.max_chunk_line),
      trailer_budget_(head_bytes < limits.max_header_bytes ? limits.max_header_bytes - head_bytes : 0),
      max_fields_(limits.max_fields) {}

std::size_t chunked_decoder::fail(framing_error e, std::string_view why, std::size_t used) {
  error_ = e;
  why_ = why;
  return used;
}

std::size_t chunked_decoder::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n && state_ != state::done && error_ == framing_error::none) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    switch (state_) {
      case state::data: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, n - i));
        out.append(in.data() + i, take);
        i += take;
        chunk_left_ -= take;
        body_bytes_ += take;
        if (chunk_left_ == 0) state_ = state::data_cr;
        continue;
      }
      case state::size: {
        if (++line_bytes_ > max_line_) return fail(framing_error::bad_request, "Chunk size line too long.", i);
        int digit = -1;
        if (c >= '0' && c <= '9')
          digit = c - '0';
        else if (c >= 'a' && c <= 'f')
          digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
          digit = c - 'A' + 10;
        if (digit >= 0) {
          ++size_digits_;
          if (chunk_left_ > (max_body_ - body_bytes_) / 16 + 1) {
            return fail(framing_error::body_too_large, "Request body exceeds the limit.", i);
          }
          chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(digit);
          if (chunk_left_ > max_body_ - body_bytes_) {
            return fail(framing_error::body_too_large, "Request body exceeds the limit.", i);
          }
        } else if (size_digits_ == 0) {
          return fail(framing_error::bad_request, "Malformed chunk size.", i);
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = state::extension;
        } else if (c == '\r') {
          state_ = state::size_lf;
        } else {
          return fail(framing_error::bad_request, "Malformed chunk size.", i);
        }
        ++i;
        continue;
      }
      case state::extension:
        if (++line_bytes_ > max_line_) return fail(framing_error::bad_request, "Chunk extension too long.", i);
        if (c == '\r') {
          state_ = state::size_lf;
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
          return fail(framing_error::bad_request, "Control character in a chunk extension.", i);
        }
        ++i;
        continue;
      case state::size_lf:
        if (c != '\n') return fail(framing_error::bad_request, "Malformed chunk size line.", i);
        ++i;
        line_bytes_ = 0;
        size_digits_ = 0;
        state_ = chunk_left_ == 0 ? state::trailer : state::data;
        continue;
      case state::data_cr:
        if (c != '\r') return fail(framing_error::bad_request, "Chunk data longer than its size.", i);
        ++i;
        state_ = state::data_lf;
        continue;
      case state::data_lf:
        if (c != '\n') return fail(framing_error::bad_request, "Chunk data longer than its size.", i);
        ++i;
        state_ = state::size;
        continue;
      case state::trailer:
        // Trailer fields count against what the head left of the header limit.
        if (trailer_budget_ == 0)
          return fail(framing_error::bad_request, "Chunked trailer fields exceed the limit.", i);
        --trailer_budget_;
        if (c == '\r') {
          state_ = state::trailer_lf;
        } else if (c == '\n' || c == 0 || c == 0x7f) {
          return fail(framing_error::bad_request, "Malformed chunked trailer.", i);
        } else {
          ++line_bytes_;
        }
        ++i;
        continue;
      case state::trailer_lf:
        if (c != '\n') return fail(framing_error::bad_request, "Malformed chunked trailer.", i);
        ++i;
        if (line_bytes_ == 0) {
          state_ = state::done;
        } else {
          if (++trailer_fields_ > max_fields_) {
            return fail(framing_error::bad_request, "Too many chunked trailer fields.", i);
          }
          line_bytes_ = 0;
          state_ = state::trailer;
        }
        continue;
      case state::done:
        break;
    }
  }
  return i;
}

}  // namespace llmgw::http
