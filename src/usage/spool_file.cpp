#include "usage/spool_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <utility>

#include "usage/row_codec.hpp"

namespace llmgw::usage {

namespace {

constexpr std::string_view k_prefix = "usage-spool-";
constexpr std::string_view k_suffix = ".bin";

std::string join(const std::string& dir, std::string_view name) {
  std::string p = dir.empty() ? std::string(".") : dir;
  if (p.back() != '/') p += '/';
  p += name;
  return p;
}

std::string random_hex(std::size_t n) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(k_hex[rd() & 0xF]);
  return s;
}

}  // namespace

spool_file::spool_file(int fd, std::string path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}

spool_file::spool_file(spool_file&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      path_(std::move(o.path_)),
      size_(o.size_),
      replayed_(o.replayed_),
      dropped_bytes_(o.dropped_bytes_),
      ours_(o.ours_) {}

spool_file& spool_file::operator=(spool_file&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    size_ = o.size_;
    replayed_ = o.replayed_;
    dropped_bytes_ = o.dropped_bytes_;
    ours_ = o.ours_;
  }
  return *this;
}

spool_file::~spool_file() {
  if (fd_ >= 0) ::close(fd_);
}

spool_file spool_file::create(const std::string& dir) {
  const std::string name = std::string(k_prefix) + std::to_string(::getpid()) + "-" + random_hex(8);
  // Locked under a name the claim scan ignores, then renamed: no other
  // process can take the new file for an orphan between open and flock.
  const std::string tmp = join(dir, "." + name + ".new");
  const std::string path = join(dir, name + std::string(k_suffix));
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("usage spool: cannot create " + tmp + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error("usage spool: cannot set up " + path + ": " + std::strerror(err));
  }
  spool_file made(fd, path, 0);
  made.ours_ = true;
  return made;
}

std::vector<spool_file> spool_file::claim_orphans(const std::string& dir) {
  std::vector<std::pair<std::string, std::int64_t>> names;  // path, mtime
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) return {};
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (!n.starts_with(k_prefix) || !n.ends_with(k_suffix)) continue;
    const std::string path = join(dir, n);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    names.emplace_back(path, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  std::vector<spool_file> out;
  for (const auto& [path, mtime] : names) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {};
    // Held by a live process, or removed by the one that replayed it while
    // we were opening it.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(fd, &st) != 0 || st.st_nlink == 0) {
      ::close(fd);
      continue;
    }
    spool_file f(fd, path, static_cast<std::uint64_t>(st.st_size));
    if (f.size_ == 0) {
      f.remove();
      continue;
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool spool_file::append(std::string_view entries) {
  std::size_t done = 0;
  while (done < entries.size()) {
    const ssize_t n = ::pwrite(fd_, entries.data() + done, entries.size() - done, static_cast<off_t>(size_ + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      const int err = errno;
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // The torn tail stays; a reader stops at it (its checksum fails).
      }
      errno = err;
      return false;
    }
  }
  size_ += entries.size();
  return true;
}

std::size_t spool_file::read_chunk(std::size_t max_bytes, std::string& out) {
  out.clear();
  if (replayed_ >= size_) return 0;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size_ - replayed_, max_bytes));
  out.resize(want);
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd_, out.data() + got, want - got, static_cast<off_t>(replayed_ + got));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  out.resize(got);
  // Whole valid entries only: the chunk may end inside one (read it next
  // time), or the file may end in a torn one (never readable). This
  // process's own spool holds only what append() wrote whole, so only a
  // claimed one has its checksums checked (each entry's size still is).
  entry_reader reader(out, ours_ ? entry_reader::checksums::skip : entry_reader::checksums::verify);
  while (reader.skip()) {
  }
  std::size_t good = reader.stopped_at();
  if (good == 0 && reader.corrupt()) {
    // Not a short chunk: the entry itself is bad (or larger than a chunk,
    // which ours never are). Everything from here on is lost.
    dropped_bytes_ += size_ - replayed_;
    consumed(static_cast<std::size_t>(size_ - replayed_));
  }
  out.resize(good);
  return good;
}

void spool_file::consumed(std::size_t bytes) {
  replayed_ += bytes;
  if (replayed_ >= size_ && fd_ >= 0) {
    if (::ftruncate(fd_, 0) == 0) {
      size_ = 0;
      replayed_ = 0;
    }
  }
}

void spool_file::remove() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
  size_ = replayed_ = 0;
}

}  // namespace llmgw::usage
