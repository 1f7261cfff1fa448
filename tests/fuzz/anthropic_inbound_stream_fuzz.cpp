// Feeds the Anthropic stream writer the same bytes whole, in chunks split at
// points derived from the input, and byte by byte; all must give the same
// events, and the events must keep Anthropic's grammar: each one
// "event: T\ndata: {json with type T}\n\n", blocks started in order, deltas
// only to started blocks, and exactly one ending (message_stop or error).
// The same bytes also go through the request and response translators.
#include "fuzz_support.hpp"
#include "providers/anthropic_inbound.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
using llmgw::providers::messages_stream_writer;

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "anthropic_inbound_stream_fuzz", what); }

struct outcome {
  std::string out;
  bool completed = false;
  bool failed = false;
};

outcome translate(std::string_view input, const std::vector<std::size_t>& cuts) {
  messages_stream_writer writer("msg_fuzz", "fuzz-model");
  outcome o;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    writer.feed(input.substr(at, cut - at), o.out);
    at = cut;
  }
  writer.feed(input.substr(at), o.out);
  writer.finish(o.out);
  o.completed = writer.completed();
  o.failed = writer.failed();
  return o;
}

void check_grammar(const outcome& o) {
  check(o.completed != o.failed, "not exactly one of completed and failed");
  std::string_view rest = o.out;
  std::vector<bool> open;  // per started block: still open
  bool started = false, ended = false;
  while (!rest.empty()) {
    check(!ended, "event after the end");
    check(rest.starts_with("event: "), "event line missing");
    const std::size_t name_end = rest.find('\n');
    check(name_end != std::string_view::npos, "event line unterminated");
    const std::string_view name = rest.substr(7, name_end - 7);
    rest.remove_prefix(name_end + 1);
    check(rest.starts_with("data: "), "data line missing");
    const std::size_t data_end = rest.find("\n\n");
    check(data_end != std::string_view::npos, "event unterminated");
    const std::string_view data = rest.substr(6, data_end - 6);
    check(data.find('\n') == std::string_view::npos, "newline inside data");
    rest.remove_prefix(data_end + 2);

    boost::system::error_code ec;
    const json::value v = json::parse(data, ec);
    check(!ec && v.is_object(), "data is not a JSON object");
    const auto& e = v.get_object();
    check(e.contains("type") && e.at("type").is_string() && e.at("type").get_string() == name,
          "type differs from event");

    if (name == "error") {
      ended = true;
      continue;
    }
    if (name == "message_start") {
      check(!started, "second message_start");
      started = true;
      continue;
    }
    check(started, "event before message_start");
    if (name == "content_block_start") {
      check(e.at("index").as_int64() == static_cast<std::int64_t>(open.size()), "block index out of order");
      open.push_back(true);
    } else if (name == "content_block_delta") {
      const std::int64_t i = e.at("index").as_int64();
      check(i >= 0 && i < static_cast<std::int64_t>(open.size()), "delta to a block never started");
    } else if (name == "content_block_stop") {
      const std::int64_t i = e.at("index").as_int64();
      check(i >= 0 && i < static_cast<std::int64_t>(open.size()) && open[i], "stop of a block not open");
      open[i] = false;
    } else if (name == "message_delta") {
      for (bool b : open) check(!b, "message_delta with a block open");
    } else if (name == "message_stop") {
      ended = true;
    } else {
      check(false, "unknown event");
    }
  }
  check(ended, "no ending event");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::vector<std::size_t> cuts = llmgw::fuzz::cut_points(input, size, 23);

  const outcome whole = translate(input, {});
  check_grammar(whole);
  const outcome chunked = translate(input, cuts);
  check(chunked.out == whole.out, "chunked output differs");
  if (size <= 512) {
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < size; ++i) every_byte.push_back(i);
    check(translate(input, every_byte).out == whole.out, "byte-by-byte output differs");
  }

  // The other translators on the same bytes: no crash, and what they accept
  // they turn into JSON.
  const auto info = llmgw::providers::parse_messages_request(input);
  const auto request = llmgw::providers::messages_to_openai(input);
  if (request.has_value()) {
    check(info.has_value(), "translated a request that does not validate");
    boost::system::error_code ec;
    check(json::parse(*request, ec).is_object() && !ec, "translated request is not a JSON object");
  }
  const auto response = llmgw::providers::openai_to_messages_response(input, "fuzz-model");
  if (response.has_value()) {
    boost::system::error_code ec;
    check(json::parse(*response, ec).is_object() && !ec, "translated response is not a JSON object");
  }
  return 0;
}
