#include "usage/database_sink.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/background_thread.hpp"
#include "usage/row_codec.hpp"

namespace llmgw::usage {

database_sink::database_sink(std::unique_ptr<usage_store> store, database_sink_options options)
    : store_(std::move(store)), options_(std::move(options)), rejected_(options_.spool_dir) {
  orphans_ = spool_file::claim_orphans(options_.spool_dir);
  spool_.emplace(spool_file::create(options_.spool_dir));
  for (const auto& o : orphans_) {
    std::fprintf(stderr, "llmgw: usage: replaying %llu bytes of records left in %s by a process that ended\n",
                 static_cast<unsigned long long>(o.pending_bytes()), o.path().c_str());
  }
  batch_.reserve(64 * 1024);
  // Claimed spools go in before the gateway serves; if the database cannot
  // take them now, the inserter keeps trying.
  if (!ready(true) || !drain()) handed_ = 1;
  publish();
  inserter_ = std::thread([this] { run(); });
}

database_sink::~database_sink() { close(); }

bool database_sink::spool_empty() const {
  std::lock_guard lock(m_);
  if (spool_ && !spool_->empty()) return false;
  for (const auto& o : orphans_) {
    if (!o.empty()) return false;
  }
  return true;
}

void database_sink::add(const request_record& r) {
  if (!fill_row(r, row_)) return;
  if (batch_rows_ == 0) batch_started_ = clock::now();
  append_entry(row_, batch_);
  ++batch_rows_;
}

void database_sink::flush() {
  if (batch_rows_ == 0) return;
  if (batch_rows_ < options_.max_batch_rows && clock::now() - batch_started_ < options_.batch_interval) return;
  hand_over();
}

void database_sink::hand_over() {
  if (batch_rows_ == 0 || !spool_) return;  // nothing, or closed (the writer's thread resets spool_)
  bool handed = false;
  {
    std::lock_guard lock(m_);
    // In memory while the database keeps up: it took the last batch in,
    // and nothing older waits in the spool. Otherwise through the spool,
    // so at most one batch is only in memory (what a SIGKILL could lose).
    if (up_ && handed_rows_ == 0 && spool_->empty()) {
      handed_batch_.swap(batch_);  // batch_ takes the buffer the inserter gave back
      handed_rows_ = batch_rows_;
      handed = true;
    } else {
      handed = spool_or_lose(batch_, batch_rows_);
    }
    if (handed) ++handed_;
  }
  if (handed) wake_.notify_one();
  batch_.clear();
  batch_rows_ = 0;
}

bool database_sink::spool_or_lose(std::string_view entries, std::size_t rows) {
  if (spool_->append(entries)) {
    if (!up_) rows_spooled_ += rows;
    return true;
  }
  // A full disk fails every batch: counted always, said once a second.
  const int err = errno;
  rows_lost_ += rows;
  const auto now = clock::now();
  if (now - last_loss_report_ >= std::chrono::seconds(1)) {
    last_loss_report_ = now;
    std::fprintf(stderr, "llmgw: error: usage: records lost: cannot write the spool %s (%s); %llu lost so far\n",
                 spool_->path().c_str(), std::strerror(err), static_cast<unsigned long long>(rows_lost_.load()));
  }
  return false;
}

bool database_sink::drain_handed() {
  std::size_t rows = 0;
  {
    std::lock_guard lock(m_);
    if (handed_rows_ == 0) return true;
    handed_entries_.swap(handed_batch_);  // handed_rows_ stays: the next batch goes to the spool meanwhile
    rows = handed_rows_;
  }
  // In transactions of the store's size, as a spool chunk would go.
  std::string_view rest = handed_entries_;
  bool all_in = true;
  while (!rest.empty()) {
    const auto [bytes, n] = entry_reader::prefix_within(rest, store_->transaction_bytes());
    if (n == 0) break;  // never: whole entries of ours
    const std::string_view part = rest.substr(0, bytes);
    if (!insert_batch(part, n)) {
      all_in = false;
      break;
    }
    rest.remove_prefix(part.size());
    rows -= n;
  }
  {
    std::lock_guard lock(m_);
    if (!all_in) spool_or_lose(rest, rows);
    handed_rows_ = 0;
  }
  handed_entries_.clear();
  return all_in;
}

void database_sink::run() {
  become_background_thread("inserter");
  for (;;) {
    std::uint64_t handed = 0;
    {
      std::unique_lock lock(m_);
      // Woken by a new batch, a stop, or the end of a backoff (a spool
      // left to replay).
      const auto now = clock::now();
      const auto until = !connected_ && next_try_ > now ? next_try_ : now + std::chrono::seconds(1);
      wake_.wait_until(lock, until,
                       [&] { return stopping_ || (handed_ != done_ && (connected_ || clock::now() >= next_try_)); });
      if (stopping_) return;
      if (handed_ == done_) continue;
      handed = handed_;
    }
    if (!ready(false)) continue;
    const bool all_in = drain();
    {
      std::lock_guard lock(m_);
      if (all_in) done_ = handed;
    }
    idle_.notify_all();
    publish();
  }
}

bool database_sink::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_);
  const std::uint64_t target = handed_;
  const int failures_before = failures_seen_;
  return idle_.wait_for(lock, timeout, [&] { return done_ >= target || failures_seen_ != failures_before; }) &&
         done_ >= target;
}

void database_sink::warn(const std::string& what) {
  // A database that stays down fails every try: once a second is enough.
  const auto now = clock::now();
  if (now - last_warning_ < std::chrono::seconds(1)) return;
  last_warning_ = now;
  std::fprintf(stderr, "llmgw: warning: usage database %s: %s\n", store_->describe().c_str(), what.c_str());
}

void database_sink::failed(const std::string& error) {
  connected_ = false;
  up_ = false;
  ++failures_;
  {
    std::lock_guard lock(m_);
    ++failures_seen_;
  }
  idle_.notify_all();
  auto backoff = options_.min_backoff * (1 << std::min(failures_ - 1, 10));
  if (backoff > options_.max_backoff) backoff = options_.max_backoff;
  next_try_ = clock::now() + backoff;
  if (!down_reported_) {
    down_reported_ = true;
    last_warning_ = {};
    warn(error + "; records go to " + spool_->path() + " until it answers");
  } else {
    warn(error);
  }
}

bool database_sink::ready(bool force) {
  if (connected_) return true;
  if (!force && clock::now() < next_try_) return false;
  std::string error;
  if (!store_->connect(error)) {
    failed(error);
    return false;
  }
  connected_ = true;
  up_ = true;
  return true;
}

bool database_sink::insert_batch(std::string_view entries, std::size_t rows) {
  std::string error;
  switch (store_->insert(entries, rows, error)) {
    case insert_outcome::inserted:
      rows_inserted_ += rows;
      up_ = true;
      return true;
    case insert_outcome::failed:
      failed(error);
      return false;
    case insert_outcome::refused:
      break;
  }
  if (rows > 1) {
    // Halved until each refused row stands alone: the rest of its batch
    // goes in (log2 of a batch's rows extra statements per refused row).
    const std::size_t half = rows / 2;
    const std::size_t cut = entry_reader::prefix_bytes(entries, half);
    return insert_batch(entries.substr(0, cut), half) && insert_batch(entries.substr(cut), rows - half);
  }
  set_aside(entries, error);
  return true;
}

void database_sink::set_aside(std::string_view entry, const std::string& error) {
  entry_reader reader(entry);
  if (!reader.next(rejected_row_)) {
    ++rows_lost_;  // a corrupt entry: nothing left to set aside
    return;
  }
  if (!rejected_.append(rejected_row_, error)) {
    const int err = errno;
    ++rows_lost_;
    std::fprintf(stderr, "llmgw: error: usage: a record the database refused is lost: cannot write %s (%s)\n",
                 rejected_.path().c_str(), std::strerror(err));
    return;
  }
  ++rows_rejected_;
  // One line of the database's message: its detail may quote the whole row.
  const auto now = clock::now();
  if (now - last_rejection_report_ < std::chrono::seconds(1)) return;
  last_rejection_report_ = now;
  std::fprintf(stderr, "llmgw: warning: usage database %s refused a record (%s); set aside in %s (%llu so far)\n",
               store_->describe().c_str(), error.substr(0, error.find('\n')).c_str(), rejected_.path().c_str(),
               static_cast<unsigned long long>(rows_rejected_.load()));
}

bool database_sink::drain_file(spool_file& f, bool ours) {
  for (;;) {
    std::size_t n = 0;
    std::uint64_t dropped = 0;
    {
      std::unique_lock lock(m_, std::defer_lock);
      if (ours) lock.lock();  // the writer appends to ours meanwhile
      if (stopping_ && ours) return false;
      const std::uint64_t dropped_before = f.dropped_bytes();
      n = f.read_chunk(store_->transaction_bytes(), chunk_);
      dropped = f.dropped_bytes() - dropped_before;
    }
    if (dropped != 0) {
      std::fprintf(stderr,
                   "llmgw: warning: usage: %llu bytes at the end of the spool %s were torn or corrupt: skipped\n",
                   static_cast<unsigned long long>(dropped), f.path().c_str());
    }
    if (n == 0) return true;
    if (!insert_batch(chunk_, entry_reader::count(chunk_))) return false;
    std::unique_lock lock(m_, std::defer_lock);
    if (ours) lock.lock();
    f.consumed(n);  // emptied (truncated) once all of it is in
  }
}

bool database_sink::drain() {
  while (!orphans_.empty()) {
    if (!drain_file(orphans_.front(), false)) return false;
    orphans_.front().remove();
    orphans_.erase(orphans_.begin());
  }
  // The batch in memory is older than what the spool got meanwhile.
  if (!drain_handed() || !drain_file(*spool_, true)) return false;
  if (down_reported_) {
    down_reported_ = false;
    std::fprintf(stderr, "llmgw: usage database %s answers again: the spool is replayed\n", store_->describe().c_str());
  }
  failures_ = 0;
  return true;
}

void database_sink::tick() {
  flush();
  publish();
}

void database_sink::publish() {
  std::uint64_t spooled = 0;
  {
    std::lock_guard lock(m_);
    if (spool_) spooled = spool_->pending_bytes();
    for (const auto& o : orphans_) spooled += o.pending_bytes();
  }
  status_->connected.store(up_, std::memory_order_relaxed);
  status_->spool_bytes.store(spooled, std::memory_order_relaxed);
  status_->rows_inserted.store(rows_inserted_, std::memory_order_relaxed);
  status_->rows_spooled.store(rows_spooled_, std::memory_order_relaxed);
  status_->rows_lost.store(rows_lost_, std::memory_order_relaxed);
  status_->rows_rejected.store(rows_rejected_, std::memory_order_relaxed);
}

void database_sink::close() {
  if (!inserter_.joinable()) return;
  hand_over();
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  inserter_.join();
  // The inserter has stopped: this thread has the store and the spools.
  {
    std::lock_guard lock(m_);
    stopping_ = false;
  }
  // One more try whatever the backoff: it is the last chance before exit.
  if (ready(true)) drain();
  {
    std::lock_guard lock(m_);
    if (handed_rows_ != 0) {  // the database could not be asked: the spool keeps it
      spool_or_lose(handed_batch_, handed_rows_);
      handed_rows_ = 0;
    }
  }
  publish();
  std::lock_guard lock(m_);
  bool empty = spool_->empty();
  for (const auto& o : orphans_) empty = empty && o.empty();
  if (empty) {
    spool_->remove();
  } else {
    std::fprintf(stderr, "llmgw: usage: %llu bytes of records stay in %s for the next start to replay\n",
                 static_cast<unsigned long long>(spool_->pending_bytes()), spool_->path().c_str());
  }
  orphans_.clear();  // unlocked: claimed again at the next start
  spool_.reset();
}

}  // namespace llmgw::usage
