#include "limits/memory_limiter.hpp"

#include <xxhash.h>
#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

namespace llmgw::limits {

namespace {

// The part that picks the shard: the "{…}" tag when the name starts with one
// (every bucket of one gateway key shares it, and so one lock), else all of it.
std::string_view tag_of(const std::string& bucket) {
  if (!bucket.empty() && bucket.front() == '{') {
    const auto close = bucket.find('}');
    if (close != std::string::npos) return std::string_view(bucket).substr(0, close + 1);
  }
  return bucket;
}

}  // namespace

std::size_t memory_limiter::name_hash::operator()(const std::string& name) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(name.data(), name.size()));
}

std::size_t memory_limiter::shard_of(const std::string& bucket) const {
  const std::string_view tag = tag_of(bucket);
  return static_cast<std::size_t>(XXH3_64bits(tag.data(), tag.size()) % k_shards);
}

boost::asio::awaitable<decision> memory_limiter::take(std::span<const charge> charges) {
  co_return take_now(charges, token_bucket::clock::now());
}

decision memory_limiter::take_now(std::span<const charge> charges, token_bucket::clock::time_point now) {
  // Lock every shard involved, in index order (no deadlock between requests).
  std::array<bool, k_shards> involved{};
  boost::container::small_vector<std::size_t, 8> shard_index(charges.size());
  for (std::size_t i = 0; i < charges.size(); ++i) {
    shard_index[i] = shard_of(charges[i].bucket);
    involved[shard_index[i]] = true;
  }
  boost::container::small_vector<std::unique_lock<std::mutex>, 8> locks;
  for (std::size_t i = 0; i < k_shards; ++i) {
    if (involved[i]) locks.emplace_back(shards_[i].mutex);
  }

  decision d;
  d.states.resize(charges.size());
  boost::container::small_vector<state*, 8> states(charges.size());
  // First look at every dimension; change nothing unless all have room.
  for (std::size_t i = 0; i < charges.size(); ++i) {
    const charge& c = charges[i];
    state& s = shards_[shard_index[i]].buckets[c.bucket];
    states[i] = &s;
    bool room = true;
    std::chrono::milliseconds wait{0};
    if (c.kind == unit::parallel) {
      room = static_cast<double>(s.in_flight) + c.cost <= c.amount;
    } else if (c.kind == unit::spend) {
      // A spent budget refuses even a request it cannot price (cost 0).
      room = s.spent < c.amount && s.spent + c.cost <= c.amount;
      if (!room) wait = c.window;
    } else {
      s.bucket.refill(c.amount, now);
      room = s.bucket.level >= c.cost;
      if (!room) wait = s.bucket.wait_for(c.amount, c.cost);
    }
    const bool never = c.cost > c.amount;  // no refill makes room: say so at once
    if (never && !d.never_fits) {
      d.admitted = false;
      d.never_fits = true;
      d.refused = i;
    } else if (!room && d.admitted) {
      d.admitted = false;
      d.refused = i;
    }
    // The wait for all of them: retrying sooner would be refused again.
    d.retry_after = std::max(d.retry_after, wait);
  }
  if (d.admitted) {
    for (std::size_t i = 0; i < charges.size(); ++i) {
      if (charges[i].kind == unit::parallel) {
        states[i]->in_flight += static_cast<std::uint64_t>(charges[i].cost);
      } else if (charges[i].kind == unit::spend) {
        states[i]->spent += charges[i].cost;
      } else {
        states[i]->bucket.level -= charges[i].cost;
      }
    }
  }
  for (std::size_t i = 0; i < charges.size(); ++i) {
    const charge& c = charges[i];
    if (c.kind == unit::parallel) {
      d.states[i].remaining = c.amount - static_cast<double>(states[i]->in_flight);
    } else if (c.kind == unit::spend) {
      d.states[i].remaining = c.amount - states[i]->spent;
      d.states[i].reset = c.window;
    } else {
      d.states[i].remaining = std::max(0.0, states[i]->bucket.level);
      d.states[i].reset = states[i]->bucket.wait_for(c.amount, c.amount);
    }
  }
  return d;
}

void memory_limiter::adjust(const charge& c, double delta) { adjust_at(c, delta, token_bucket::clock::now()); }

void memory_limiter::adjust_at(const charge& c, double delta, token_bucket::clock::time_point now) {
  if (c.kind == unit::parallel || delta == 0) return;
  shard& sh = shards_[shard_of(c.bucket)];
  std::lock_guard lock(sh.mutex);
  state& s = sh.buckets[c.bucket];
  if (c.kind == unit::spend) {
    s.spent = std::max(0.0, s.spent + delta);
    return;
  }
  s.bucket.refill(c.amount, now);
  s.bucket.level = std::min(c.amount, s.bucket.level - delta);
}

void memory_limiter::release(const charge& c) {
  if (c.kind != unit::parallel) return;
  shard& sh = shards_[shard_of(c.bucket)];
  std::lock_guard lock(sh.mutex);
  auto it = sh.buckets.find(c.bucket);
  if (it != sh.buckets.end() && it->second.in_flight > 0) --it->second.in_flight;
}

}  // namespace llmgw::limits
