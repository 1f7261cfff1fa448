#pragma once
// The total deadline of one upstream call. Each step of the call (connect,
// first byte, each body read) has its own timeout, which restarts with the
// step; the deadline does not, so a vendor trickling one byte at a time
// cannot hold a request longer than the total. Both are enforced by the
// one expiry the stream already has: a step expires at the earlier of its
// own timeout and the deadline, and the caller learns which of the two it
// was so the failure can say so.
#include <chrono>

namespace llmgw::http {

class call_deadline {
 public:
  using clock = std::chrono::steady_clock;

  struct expiry {
    clock::time_point at;
    bool is_deadline = false;  // the call's deadline comes first: expiring here is the total timeout
  };

  // No deadline: every step gets its own timeout in full.
  call_deadline() = default;
  call_deadline(clock::time_point start, std::chrono::milliseconds total) : at_(add(start, total)) {}

  // When a step starting at `now` with its own timeout `step` must end.
  expiry for_step(clock::time_point now, std::chrono::milliseconds step) const {
    const clock::time_point own = add(now, step);
    if (at_ != clock::time_point::max() && at_ <= own) return {at_, true};
    return {own, false};
  }

  clock::time_point at() const { return at_; }

 private:
  // Saturates instead of overflowing: a deadline too far away is none.
  static clock::time_point add(clock::time_point t, std::chrono::milliseconds d) {
    if (d <= std::chrono::milliseconds::zero()) return t;
    const auto room = clock::time_point::max() - t;
    if (std::chrono::duration_cast<std::chrono::milliseconds>(room) <= d) return clock::time_point::max();
    return t + d;
  }

  clock::time_point at_ = clock::time_point::max();
};

}  // namespace llmgw::http
