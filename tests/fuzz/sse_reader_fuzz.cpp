// Feeds the SSE reader the same bytes whole and in chunks split at points
// derived from the input; both must yield the same blocks, and the blocks'
// raw bytes must add up to the input read so far.
#include "core/sse_reader.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct block {
  std::string raw, event, data, id;
  bool has_data, has_id;
  std::optional<std::uint64_t> retry;
  bool operator==(const block&) const = default;
};

struct outcome {
  std::vector<block> blocks;
  bool failed = false;
  std::string pending;
};

void drain(llmgw::sse_reader& reader, outcome& out) {
  llmgw::sse_event ev;
  while (reader.next(ev)) {
    out.blocks.push_back({std::string(ev.raw), std::string(ev.event), std::string(ev.data), std::string(ev.id),
                          ev.has_data, ev.has_id, ev.retry});
  }
}

outcome read(std::string_view input, const std::vector<std::size_t>& cuts, std::size_t limit, bool finish) {
  llmgw::sse_reader reader(limit);
  outcome out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    reader.feed(input.substr(at, cut - at));
    drain(reader, out);
    at = cut;
  }
  reader.feed(input.substr(at));
  drain(reader, out);
  if (finish) {
    reader.finish();
    drain(reader, out);
  }
  out.failed = reader.failed();
  out.pending = std::string(reader.pending());
  return out;
}

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "sse_reader_fuzz", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Split points from a hash of the input: deterministic per input, varied across inputs.
  const std::vector<std::size_t> cuts = llmgw::fuzz::cut_points(input, size, 17);
  std::vector<std::size_t> every_byte;
  if (size <= 256) {
    for (std::size_t i = 1; i < size; ++i) every_byte.push_back(i);
  }

  for (std::size_t limit : {std::size_t{48}, llmgw::sse_reader::default_max_event_bytes}) {
    for (bool finish : {false, true}) {
      const outcome whole = read(input, {}, limit, finish);
      const outcome chunked = read(input, cuts, limit, finish);
      check(whole.blocks == chunked.blocks, "chunked blocks differ");
      check(whole.failed == chunked.failed, "chunked failure differs");
      if (!whole.failed) check(whole.pending == chunked.pending, "chunked pending differs");
      if (!every_byte.empty()) {
        const outcome bytes = read(input, every_byte, limit, finish);
        check(whole.blocks == bytes.blocks, "byte-by-byte blocks differ");
        check(whole.failed == bytes.failed, "byte-by-byte failure differs");
      }
      std::string joined;
      for (const auto& b : whole.blocks) {
        check(b.raw.size() <= limit, "block over the limit");
        joined += b.raw;
      }
      check(input.substr(0, joined.size()) == joined, "raw blocks are not the input");
      if (!whole.failed) check(joined + whole.pending == input, "raw blocks and pending are not the input");
    }
  }
  return 0;
}
