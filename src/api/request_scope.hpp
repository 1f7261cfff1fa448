#pragma once
// Per-request state shared by the stages of one request: its id, clock,
// what the access log will say, and the headers every response carries.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "api/access_log.hpp"
#include "api/client_api.hpp"
#include "core/request_id.hpp"
#include "core/string_pool.hpp"
#include "http/server.hpp"
#include "usage/record_queue.hpp"

namespace llmgw::api {

struct chat_request_info;
struct embeddings_request_info;

class request_scope {
 public:
  using clock = std::chrono::steady_clock;

  // `records`: the worker's queue to the background writer; nullptr when
  // nothing records requests (--no-access-log).
  request_scope(http::request& r, http::response_writer& w, usage::record_queue* records)
      : req(r), out(w), id(request_id::generate()), started(clock::now()), records_(records) {
    record.request_id = id.view();
    w.use_request_id(id.view());  // the server's own answers to this request quote it too
  }

  // x-request-id always; x-llmgw-provider and x-llmgw-model once routed.
  // Returns how many entries of `into` were filled.
  std::size_t base_headers(std::span<http::header_field> into) const {
    std::size_t n = 0;
    into[n++] = {"x-request-id", id.view()};
    if (!provider.empty()) {
      into[n++] = {"x-llmgw-provider", provider};
      into[n++] = {"x-llmgw-model", served_model};
    }
    return n;
  }

  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(clock::now() - started).count(); }

  void mark_first_byte() {
    if (record.ttfb_ms < 0) record.ttfb_ms = elapsed_ms();
  }

  // Hands an owned copy of the record to the writer thread; never waits
  // (a full queue drops the record and counts it).
  void finish() {
    record.latency_ms = elapsed_ms();
    if (record.status == 0) record.status = out.status();
    if (records_ == nullptr) return;
    const auto ended = std::chrono::system_clock::now();
    records_->try_push([&](usage::request_record& slot) { copy_record(record, ended, slot); });
  }

  http::request& req;
  http::response_writer& out;
  request_id id;
  clock::time_point started;
  access_record record;
  std::string key_name;
  std::string model;                             // as the client asked
  std::string_view provider;                     // views the immutable config snapshot
  std::string served_model;                      // the route dies before the access log is written
  std::string error_code;                        // what record.error views when it comes from a gateway_error
  const chat_request_info* chat_info = nullptr;  // set when the body is rewritten
  const embeddings_request_info* embeddings_info = nullptr;

  // Which API the client speaks: errors, responses and streams are written
  // in its format. An Anthropic client routed to Anthropic gets its own body
  // passed through (anthropic_body); routed elsewhere, the translation.
  using client_api = llmgw::api::client_api;
  client_api api = client_api::openai;
  std::string_view anthropic_body;
  bool count_tokens = false;  // POST /v1/messages/count_tokens

 private:
  usage::record_queue* records_;
};

}  // namespace llmgw::api
