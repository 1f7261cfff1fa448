#pragma once
// One request's context: everything the stages learn about it — who calls,
// in which API, for which model, every attempt at a vendor, the usage, the
// cache status, timings and bytes — owned here (no stage views another's
// frame), and finished exactly once: by the account stage on every path the
// pipeline returns through, or by the destructor when the request's frame is
// destroyed before (a worker stopped mid-request). Finishing hands an owned
// copy of the record to the worker's queue for the background writer.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/admission.hpp"
#include "api/client_api.hpp"
#include "auth/keys.hpp"
#include "cache/cache_key.hpp"
#include "core/request_id.hpp"
#include "core/token_usage.hpp"
#include "cost/price.hpp"
#include "http/response_headers.hpp"
#include "http/server.hpp"
#include "metrics/worker_metrics.hpp"
#include "usage/record_queue.hpp"
#include "usage/request_record.hpp"

namespace llmgw::api {

// Records with warm buffers for one worker's requests: a request borrows one
// for its life and gives it back, so after warm-up a request allocates
// nothing for its id, path, names or attempt list.
class record_pool {
 public:
  std::unique_ptr<usage::request_record> take();
  // Cleared (buffers kept, large ones freed); at most 256 are kept.
  void give_back(std::unique_ptr<usage::request_record> r);

 private:
  std::vector<std::unique_ptr<usage::request_record>> free_;
};

class request_context {
 public:
  using clock = std::chrono::steady_clock;

  // `records`: the worker's queue to the background writer; nullptr when
  // nothing records requests (--no-access-log). `metrics`: the worker's
  // block, fed from the record when the request finishes (nullptr: none).
  request_context(http::request& r, http::response_writer& w, usage::record_queue* records, record_pool& pool,
                  metrics::worker_metrics* metrics = nullptr);
  ~request_context();
  request_context(const request_context&) = delete;
  request_context& operator=(const request_context&) = delete;

  http::request& req;
  http::response_writer& out;
  const request_id id;
  const clock::time_point started;
  const client_api api;     // told by the path: errors and answers are written in it
  const bool count_tokens;  // POST /v1/messages/count_tokens
  std::string model;        // as the client asked, whole (the record keeps a cut copy)
  // The router resolved the model: its name may then be a metrics label
  // (a name no route knows never becomes one).
  bool routed = false;

 private:
  record_pool& pool_;
  std::unique_ptr<usage::request_record> owned_;

 public:
  usage::request_record& record;  // owned_, borrowed from the worker's pool
  // What the admit stage charged; settled when the request finishes.
  admission limits;
  // The caller's limits (nullptr: none), from set_caller.
  const key_limits* caller_limits = nullptr;
  bool caller_is_master = false;

  // What the cache lookup decided for the store after the answer: set when
  // a complete answer to this request may be stored, under which key and
  // for how long.
  struct cache_store_plan {
    cache::cache_key key;
    std::chrono::seconds ttl{0};
  };
  std::optional<cache_store_plan> cache_store;
  // A hit's age in seconds, as the `age` header says it (its text lives here
  // because headers are views).
  std::string cache_age;
  // The price of the deployment the last attempt went to (resolved when it
  // began); nullopt: unknown, and the cost stays unknown.
  std::optional<cost::model_price> price;

  // The caller, once authenticated.
  void set_caller(const principal& p);
  void set_model(std::string_view requested);

  // An attempt at one deployment begins; returns its index in record.attempts.
  std::size_t begin_attempt(std::string_view provider, std::string_view vendor_model);
  // Its outcome: the vendor's status (0: none) and, when it failed, why.
  void end_attempt(std::size_t index, int status, std::string_view error, double connect_ms, double first_byte_ms);
  // The attempt whose answer the client gets: its deployment names the
  // response (x-llmgw-provider / x-llmgw-model) and the record.
  void answered_by(std::size_t index);
  // The answer could not be relayed after all (a body that failed to read).
  void unanswered();

  void take_usage(const token_usage& u, usage::usage_source source = usage::usage_source::vendor);
  // The record's cost from its tokens and `price`, once (later calls do
  // nothing): before a JSON answer's headers, so x-llmgw-cost can say it,
  // or at finish(). Tokens without a price are counted as unpriced.
  void settle_cost();
  // The failure this request ends with (the error type or code, for the record).
  void set_error(int status, std::string_view what);
  void client_gone();
  void mark_first_byte();
  double elapsed_ms() const;

  // x-request-id always; x-llmgw-provider and x-llmgw-model once answered;
  // x-llmgw-cost once settled with a price; x-llmgw-overhead-ms when no
  // attempt is under way (so not at a relayed stream's start, whose
  // headers go before the vendor has finished). The views point into this
  // context: valid until it ends, or until the next call.
  http::response_headers headers() const;

  // Hands the record to the writer (once; later calls do nothing). Never
  // waits: a full queue drops the record and counts it.
  void finish();
  bool finished() const { return finished_; }
  // Health checks and metrics scrapes: answered, not recorded nor counted.
  void skip_record() { finished_ = true; }

 private:
  // What admit holds, settled once (tokens trued up to the usage known by
  // now, in-flight slots released): just before the answer's last bytes go
  // out (the response writer calls it there), so a client that sends its
  // next request as soon as it has the answer finds its slot free; or at
  // finish() when a path ends otherwise.
  void settle_limits();

  usage::record_queue* records_;
  mutable char attempts_text_[24] = {};  // x-llmgw-attempts' value (headers are views)
  metrics::worker_metrics* metrics_;
  bool finished_ = false;
  // Attempts under way (two while a hedge runs), each closed by
  // end_attempt() or, when the request ends first, by finish().
  int open_attempts_ = 0;
  bool cost_settled_ = false;
  bool limits_settled_ = false;
  // Header texts (headers() hands out views of them).
  std::string cost_text_;
  mutable std::string overhead_text_;
};

}  // namespace llmgw::api
