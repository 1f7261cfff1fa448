// HTTP/1.1 request framing (http/request_parser) on arbitrary bytes, read
// the way the server reads them: pieces arrive, the head is parsed once its
// end may be there, then the body (Content-Length or chunked), then the next
// pipelined request. Small limits so every bound is reached. Invariants: the
// same requests (or the same error) however the bytes are split; no view
// outside the buffer; nothing buffered past the limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "http/request_parser.hpp"

namespace {

using namespace llmgw;
using namespace llmgw::http;
constexpr const char* k_target = "http_request_fuzz";

request_limits limits() {
  request_limits l;
  l.max_header_bytes = 256;
  l.max_body_bytes = 512;
  l.max_fields = 8;
  l.max_chunk_line = 32;
  return l;
}

struct outcome {
  std::vector<std::string> requests;  // "METHOD target keep-alive|close body"
  int status = 0;                     // the error that ended the connection, 0 if none
  bool operator==(const outcome&) const = default;
};

bool within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

outcome read_all(std::string_view input, const std::vector<std::size_t>& cuts) {
  const auto lim = limits();
  outcome out;
  std::vector<std::string_view> pieces;
  std::size_t at = 0;
  for (std::size_t c : cuts) {
    pieces.push_back(input.substr(at, c - at));
    at = c;
  }
  pieces.push_back(input.substr(at));

  std::string buf;
  std::size_t next = 0;
  auto more = [&]() {
    if (next == pieces.size()) return false;
    buf.append(pieces[next++]);
    return true;
  };
  for (;;) {
    request_head head;
    head_result r;
    for (;;) {
      const bool maybe = buf.find("\n\r\n") != std::string::npos || buf.find("\n\n") != std::string::npos;
      if (maybe || buf.size() >= lim.max_header_bytes) {
        r = parse_head(buf, lim, head);
        if (r.error != framing_error::none || r.complete) break;
      }
      llmgw::fuzz::check(buf.size() <= 2 * lim.max_header_bytes + 64, k_target, "head buffered past the limit");
      if (!more()) return out;
    }
    if (r.error != framing_error::none) {
      out.status = status_of(r.error);
      return out;
    }
    llmgw::fuzz::check(head.size <= buf.size(), k_target, "head longer than the buffer");
    llmgw::fuzz::check(within(head.method, buf) && within(head.target, buf), k_target, "request line view outside");
    for (const auto& f : head.fields) {
      llmgw::fuzz::check(within(f.name, buf) && within(f.value, buf), k_target, "field view outside");
    }
    std::string entry =
        std::string(head.method) + " " + std::string(head.target) + (head.keep_alive ? " ka " : " close ");
    buf.erase(0, head.size);

    std::string body;
    if (head.chunked) {
      chunked_decoder d(lim, head.size);
      for (;;) {
        const std::size_t used = d.feed(buf, body);
        llmgw::fuzz::check(used <= buf.size(), k_target, "decoder used more than it was given");
        llmgw::fuzz::check(d.done() || d.failed() || used == buf.size(), k_target, "decoder left bytes unused");
        buf.erase(0, used);
        if (d.done() || d.failed()) break;
        if (!more()) return out;
      }
      llmgw::fuzz::check(body.size() <= lim.max_body_bytes, k_target, "chunked body past the limit");
      if (d.failed()) {
        out.status = status_of(d.error());
        return out;
      }
    } else {
      llmgw::fuzz::check(head.content_length <= lim.max_body_bytes, k_target, "content length past the limit");
      while (buf.size() < head.content_length) {
        if (!more()) return out;
      }
      body = buf.substr(0, head.content_length);
      buf.erase(0, head.content_length);
    }
    out.requests.push_back(entry + body);
    if (!head.keep_alive) return out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const outcome whole = read_all(input, {});
  const outcome split = read_all(input, llmgw::fuzz::cut_points(input, size, 48));
  llmgw::fuzz::check(whole == split, k_target, "split reading differs from whole reading");
  if (size <= 200) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < size; ++i) every.push_back(i);
    llmgw::fuzz::check(whole == read_all(input, every), k_target, "byte-by-byte reading differs");
  }
  return 0;
}
