// The spool reader against arbitrary bytes (a torn or foreign file), and
// against payloads the fuzzer writes under valid checksums (random bytes
// would almost never pass XXH64, so the payload decoder would go unexplored):
// it never reads past its input, stops at the first bad entry, and what it
// accepts encodes back to entries it reads the same way.
#include "fuzz_support.hpp"
#include "usage/row_codec.hpp"

#include <xxhash.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "usage_spool_fuzz", what); }

bool same(const llmgw::usage::row& a, const llmgw::usage::row& b) {
  for (std::size_t c = 0; c < llmgw::usage::k_column_count; ++c) {
    if (a[c].null != b[c].null) return false;
    if (a[c].null) continue;
    if (a[c].i != b[c].i || a[c].s != b[c].s) return false;
    if (std::memcmp(&a[c].d, &b[c].d, sizeof(double)) != 0) return false;
  }
  return true;
}

void read_all(std::string_view bytes);

// The input as payloads (a u8 size then that many bytes, repeated), each
// framed with its true size and checksum.
std::string framed(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(in[0]) * 4u, in.size() - 1);
    const std::string_view payload = in.substr(1, n);
    in.remove_prefix(1 + n);
    const auto size = static_cast<std::uint32_t>(payload.size());
    const std::uint64_t sum = XXH64(payload.data(), payload.size(), 0);
    out.append(reinterpret_cast<const char*>(&size), 4);
    out.append(reinterpret_cast<const char*>(&sum), 8);
    out.append(payload);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read_all(bytes);
  read_all(framed(bytes));
  return 0;
}

namespace {

void read_all(std::string_view bytes) {
  using namespace llmgw::usage;
  const std::size_t size = bytes.size();
  entry_reader reader(bytes);
  std::vector<row> rows;
  row r;
  while (reader.next(r)) rows.push_back(r);
  check(reader.stopped_at() <= size, "read past the input");
  check(reader.corrupt() == (reader.stopped_at() < size), "stopped early without a bad entry");
  check(entry_reader::count(bytes.substr(0, reader.stopped_at())) == rows.size(), "count disagrees");

  std::string again;
  for (const row& x : rows) append_entry(x, again);
  entry_reader second(again);
  std::size_t i = 0;
  while (second.next(r)) {
    check(i < rows.size() && same(r, rows[i]), "re-encoded row differs");
    ++i;
  }
  check(i == rows.size() && !second.corrupt(), "re-encoded entries do not read back");
}

}  // namespace
