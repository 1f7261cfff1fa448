#pragma once
// The spool: an append-only file of row entries (usage/row_codec.hpp) that
// holds records while the usage database cannot take them, replayed in
// order when it can. One file per process, `usage-spool-<pid>-<random>.bin`
// in the spool folder, held under an exclusive flock() for the process's
// life: several gateways may share a folder, and a file nobody holds
// belongs to a process that ended (a crash, a SIGKILL, a stop while the
// database was down) and is claimed by the next one that starts.
// Writer thread only; no fsync (the kernel keeps what was written through a
// SIGKILL of the process; a power cut may lose the last seconds).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::usage {

class spool_file {
 public:
  // Creates and locks this process's spool in `dir` (throws std::runtime_error).
  static spool_file create(const std::string& dir);
  // The spools in `dir` that no live process holds, locked for us, oldest
  // first. Empty ones are removed at once.
  static std::vector<spool_file> claim_orphans(const std::string& dir);

  spool_file(spool_file&& other) noexcept;
  spool_file& operator=(spool_file&& other) noexcept;
  ~spool_file();  // closes (and so unlocks); the file stays

  const std::string& path() const { return path_; }
  // Bytes not yet replayed.
  std::uint64_t pending_bytes() const { return size_ - replayed_; }
  bool empty() const { return pending_bytes() == 0; }

  // Appends whole entries; on a failed or short write the file is cut back,
  // so it never ends in a torn entry of ours. False on failure (errno kept).
  bool append(std::string_view entries);

  // Reads up to about `max_bytes` of whole, valid entries from the replay
  // position into `out` (replaced). A torn or corrupt tail ends the
  // readable part: what follows it is dropped (counted in dropped_bytes()).
  // Checksums are checked in a claimed spool only (this process's own was
  // appended whole by it).
  // Returns the bytes read; 0 at the end.
  std::size_t read_chunk(std::size_t max_bytes, std::string& out);
  // The chunk last read is in the database: move past it. At the end the
  // file is emptied, so it does not grow across outages.
  void consumed(std::size_t bytes);
  // Bytes dropped as a corrupt tail so far (the caller reports them).
  std::uint64_t dropped_bytes() const { return dropped_bytes_; }

  // Deletes the file and closes it.
  void remove();

 private:
  spool_file(int fd, std::string path, std::uint64_t size);
  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;      // end of the last whole entry (ours) or of the file (claimed)
  std::uint64_t replayed_ = 0;  // entries before this are in the database
  std::uint64_t dropped_bytes_ = 0;
  bool ours_ = false;  // made by create(), not claimed
};

}  // namespace llmgw::usage
