#pragma once
// The byte form of usage rows, shared by a sink's pending batch and the spool
// file, so a batch goes to the spool as it is and a spool replay binds the
// same values a direct insert would. Each entry:
//   u32 payload size | u64 XXH64 of the payload | payload
//   payload: u16 column count, then per column a kind byte (0 null, 1
//   integer, 2 real, 3 text) and its value (8 bytes, or u32 size + bytes).
// Native byte order: a spool is read back on the machine that wrote it.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "usage/usage_schema.hpp"

namespace llmgw::usage {

// Appends one entry for `r` to `out` (no allocation once `out` has grown).
void append_entry(const row& r, std::string& out);

// Reads entries from a buffer one at a time. Stops at the first entry that
// is cut short or fails its checksum (a torn write at the end of a spool):
// `stopped_at()` then tells where the good bytes end and `corrupt()` is true.
class entry_reader {
 public:
  // `verify`: each entry's checksum is checked. Bytes that a spool chunk
  // read already verified (spool_file::read_chunk: everything a store is
  // given) need not be hashed twice.
  enum class checksums : bool { skip, verify };
  explicit entry_reader(std::string_view bytes, checksums check = checksums::verify)
      : bytes_(bytes), verify_(check == checksums::verify) {}
  // The next entry into `out` (text views the buffer); false at the end or
  // at a bad entry.
  bool next(row& out);
  // Steps over the next entry, checking its size (and checksum) only; false
  // at the end or at one cut short or failing its checksum. Where a chunk's
  // whole entries end, without decoding values that are decoded again for
  // the insert (a value the size and checksum pass but the decoding does
  // not, which only a bug could write, is then refused by the store).
  bool skip();
  std::size_t stopped_at() const { return pos_; }  // bytes of whole, valid entries read
  bool corrupt() const { return corrupt_; }        // stopped before the end of the bytes
  // Entries in `bytes` (whole ones, by their sizes; no checksums).
  static std::size_t count(std::string_view bytes);
  // Bytes of the first `rows` whole entries of `bytes` (all of them when
  // there are fewer): where a batch is cut in two.
  static std::size_t prefix_bytes(std::string_view bytes, std::size_t rows);
  // The first whole entries of `bytes` that fit in `max_bytes` (the first
  // one whatever its size): {bytes, entries}. Where a batch is cut into
  // transactions.
  static std::pair<std::size_t, std::size_t> prefix_within(std::string_view bytes, std::size_t max_bytes);

 private:
  // The payload of the entry at pos_, its size and checksum checked.
  bool whole_entry(std::string_view& payload);
  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool verify_ = true;
  bool corrupt_ = false;
};

}  // namespace llmgw::usage
