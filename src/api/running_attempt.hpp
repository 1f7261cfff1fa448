#pragma once
// One attempt while it runs: from the call's start until its answer has
// content (it may then answer the client) or it fails. A stream's response
// head is held back until the vendor's first content event, so that a vendor
// failing before any content (an error event, a cut connection) is failed
// over like an HTTP error; what the stream said before its content waits in
// `held`, in the client's API. Two run at once while a hedge is out; each
// owns everything it uses, and only the winner's usage becomes the
// request's.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "api/attempt_plan.hpp"
#include "api/stream_content.hpp"
#include "api/stream_reader.hpp"
#include "core/memory_budget.hpp"
#include "cost/price.hpp"
#include "http/upstream.hpp"
#include "routing/balancer.hpp"
#include "routing/router.hpp"

namespace llmgw::api {

// The attempt's weight on its deployment in this worker's balancer: in
// flight while it lives, then its time to first byte (or, failing, the time
// it took) as a sample.
class attempt_load {
 public:
  attempt_load(balancer& b, std::size_t deployment, const http::upstream_call& call);
  ~attempt_load();
  // The attempt failed (a vendor error, a connect failure, a cut stream):
  // its sample is balancer::k_failed_attempt_ms or the time it took, if
  // longer — not the quick head of a quick 500, which would make a
  // deployment that fails fast look fast.
  void failed() { failed_ = true; }
  attempt_load(const attempt_load&) = delete;
  attempt_load& operator=(const attempt_load&) = delete;

 private:
  balancer& b_;
  std::size_t d_;
  const http::upstream_call& call_;
  std::chrono::steady_clock::time_point started_;
  bool failed_ = false;
};

struct running_attempt {
  // Bytes of a stream held before its first content at most: a vendor that
  // sends this much without content has its stream relayed anyway.
  static constexpr std::size_t k_max_held = 64 * 1024;

  enum class outcome : std::uint8_t {
    running,
    content,       // the answer may go to the client (for a stream: content came, or the stream ended)
    vendor_error,  // an HTTP error, or an error event before content: `status`, `error`
    failed,        // connect, timeout, a connection cut (before content): `failure`
    cancelled,     // the client left, shutdown came, or another attempt won the race
  };

  running_attempt(string_pool& pool, memory_budget* budget)
      : plan(pool),
        held(pool.take()),
        in(pool.take()),
        scratch(pool.take()),
        error_body(pool.take()),
        error_charge(budget) {}

  attempt_plan plan;
  std::size_t route_index = 0;   // into route.attempts
  std::size_t record_index = 0;  // into the record's attempts
  std::size_t deployment = route_attempt::k_no_deployment;
  std::optional<cost::model_price> price;  // its deployment's, resolved at launch
  std::optional<http::upstream_call> call;
  std::optional<attempt_load> load;
  // On the heap: what only a stream needs (some 1 KB) costs a request that
  // does not stream nothing.
  std::unique_ptr<stream_reader> reader;
  std::unique_ptr<content_probe> probe;  // until content is seen
  string_pool::lease held, in, scratch;
  string_pool::lease error_body;  // a vendor's error body, held against the worker's memory budget
  budget_charge error_charge;

  outcome result = outcome::running;
  bool stream = false;  // relayed as a stream (the vendor answered 2xx with one)
  // The vendor's content-type, read once with the head of a 2xx answer
  // (views the call's header fields).
  std::string_view content_type;
  bool ended = false;  // the vendor's body ended before content
  // The transport's state after the last read: a failure a stream met in
  // the read that also brought its first content is reported by the relay.
  http::upstream_failure failure = http::upstream_failure::none;
  bool cut_before_content = false;  // a stream's connection failed after its head, before content
  int status = 0;                   // the vendor's HTTP status, or what an error event stands for
  std::optional<gateway_error> error;

  // Its stream is relayed from now on (and it outlives the route that
  // planned it): what sent the request, and what would have read an error,
  // are given back at once; the relay needs the call, the reader and
  // held / in / scratch.
  void drop_request() {
    plan.release_request();
    error_body.release();
    error_charge.reset();
    error.reset();
  }
};

}  // namespace llmgw::api
