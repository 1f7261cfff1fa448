#pragma once
// `llmgw mock-vendor`: an emulation of vendor APIs for tests, benchmarks
// and demo mode. Answers OpenAI chat completions (JSON and SSE), embeddings
// and models, and the chat APIs of Anthropic, Gemini and Bedrock in their
// own wire formats (dialect.hpp), and misbehaves on request (see
// mock_script.hpp): errors with each vendor's bodies, latency, paced
// streams, resets, in-stream errors, hangs, header echo, leaked credentials.
//
// Besides the API it serves, without authentication:
//   GET  /_mock/stats         counters (requests, requests cancelled by their client, answers slowed
//                             by a slow tail, streams started/completed/aborted, active streams)
//   POST /_mock/script        the default script from now on, as markers (empty: back to --script's)
//   GET  /_mock/last_request  method, target, headers and body of the last API request
//   POST /_mock/reset         zeroes the counters and forgets the last request
//   GET  /health              200 once listening
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/server.hpp"
#include "http/worker_pool.hpp"
#include "mock/dialect.hpp"
#include "mock/mock_script.hpp"

namespace llmgw::mock {

struct mock_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  // When non-empty, every dialect requires this key where its vendor
  // carries one: OpenAI's `Authorization: Bearer` (or Azure's `api-key`),
  // Anthropic's `x-api-key`, Gemini's `x-goog-api-key` (or `?key=`), the
  // access key id of Bedrock's SigV4 credential. Otherwise any non-empty
  // key passes. A wrong key gets the vendor's own 401/403.
  std::string api_key;
  // Per-vendor keys, each replacing api_key for its dialect when set, so a
  // test can tell one vendor's key from another's.
  std::string anthropic_api_key;
  std::string gemini_api_key;
  std::string aws_access_key_id;
  // When set, Bedrock requests must be signed with this secret: the mock
  // recomputes the SigV4 signature over what it received (sigv4_check.hpp).
  std::string aws_secret_access_key;
  // Behaviour for every request; x-mock-* headers and [mock:…] markers
  // override it per request.
  mock_script defaults;
  // The key `d` requires (empty: any).
  std::string_view key_for(const dialect& d) const;
  // Keep a copy of the last API request for GET /_mock/last_request. Costs
  // a copy of every body: benchmarks may turn it off.
  bool record_last_request = true;
};

struct mock_stats {
  std::uint64_t requests = 0;  // API requests (not /_mock/* or /health)
  // API requests whose client went away before the whole answer was
  // written: during the latency, a hang or a stream (a gateway that cancels
  // a hedge's loser closes its connection; this is how a test sees it).
  std::uint64_t cancelled = 0;
  std::uint64_t slow_answers = 0;  // requests held back by a slow tail (slow_ratio)
  std::uint64_t chat_completions = 0;
  std::uint64_t embeddings = 0;
  std::uint64_t streams_started = 0;
  std::uint64_t streams_completed = 0;  // ended with [DONE]
  std::uint64_t streams_aborted = 0;    // the client went away mid-stream
  std::uint64_t streams_reset = 0;      // cut by [mock:reset_after]
  std::int64_t active_streams = 0;
  std::int64_t active_hangs = 0;  // requests held by hang / hang_after
};

class mock_vendor : public std::enable_shared_from_this<mock_vendor> {
 public:
  explicit mock_vendor(mock_options options);
  ~mock_vendor();
  mock_vendor(const mock_vendor&) = delete;
  mock_vendor& operator=(const mock_vendor&) = delete;

  // The request handler. Thread-safe: one vendor may serve several worker
  // servers. When the vendor is owned by a shared_ptr the handler keeps it alive.
  http::handler handler();
  // Protocol-level errors (431, 413, 400) in OpenAI's error shape.
  static std::string render_protocol_error(const http::protocol_error& e);

  // Builds a server on `ioc` at options().host:port, binds it and starts
  // accepting; `bound_port` receives the port (useful with port 0). The
  // caller keeps the server alive and destroys it before `ioc`.
  std::unique_ptr<http::server> serve_on(boost::asio::io_context& ioc, std::uint16_t& bound_port);

  boost::asio::awaitable<void> handle(http::request& req, http::response_writer& out);

  mock_stats stats() const;
  void reset_stats();
  const mock_options& options() const { return options_; }

 private:
  struct counters;
  struct recorded_request;
  struct stream_plan;
  enum class stream_end { completed, aborted, reset };
  enum class api_endpoint { chat, embeddings, batch_embed, count_tokens, models, model, none };
  // Which vendor's API a request speaks, and what it asks for.
  struct api_route {
    const dialect* d = &openai_dialect();
    api_endpoint ep = api_endpoint::none;
    std::string_view path_model;  // Azure deployment, Gemini/Bedrock model, GET /models/<id>
    bool path_stream = false;     // Gemini :streamGenerateContent, Bedrock /converse-stream
  };
  static api_route route_of(std::string_view method, std::string_view path);

  boost::asio::awaitable<void> handle_api(http::request& req, http::response_writer& out, api_route route);
  boost::asio::awaitable<void> handle_admin(http::request& req, http::response_writer& out);
  boost::asio::awaitable<void> chat_completions(http::request& req, http::response_writer& out, mock_script script,
                                                const api_route& route, std::string_view rid);
  boost::asio::awaitable<void> gemini_embeddings(http::request& req, http::response_writer& out, mock_script script,
                                                 std::string_view model, std::string_view rid);
  boost::asio::awaitable<void> embeddings(http::request& req, http::response_writer& out, mock_script script,
                                          std::string_view deployment, std::string_view rid);
  boost::asio::awaitable<stream_end> stream_chat(http::response_writer& out, const stream_plan& plan,
                                                 const mock_script& script);
  // Latency, scripted status and hang: true when the request was answered.
  // `req` is read only for the credential a leaking script echoes.
  boost::asio::awaitable<bool> run_prelude(http::response_writer& out, const mock_script& script,
                                           std::string_view model, const dialect& d, const http::request& req);
  boost::asio::awaitable<void> hang(http::response_writer& out);
  void count_cancelled();
  void record(const http::request& req);

  mock_options options_;
  // What a request does unless it says otherwise: --script's, or the last
  // POST /_mock/script.
  mock_script defaults() const;
  mutable std::mutex defaults_mutex_;
  mock_script defaults_;
  std::unique_ptr<counters> counters_;
  std::unique_ptr<recorded_request> last_;
  mutable std::mutex last_mutex_;
};

// A mock vendor on its own thread, for demo mode inside the gateway process
// and for tests. Listening when the constructor returns; stopped by the
// destructor.
class mock_vendor_thread {
 public:
  explicit mock_vendor_thread(mock_options options);
  ~mock_vendor_thread();
  mock_vendor_thread(const mock_vendor_thread&) = delete;
  mock_vendor_thread& operator=(const mock_vendor_thread&) = delete;

  std::uint16_t port() const { return pool_.port(); }
  // http://<host>:<port>/v1, what OPENAI_BASE_URL would be set to.
  std::string base_url() const;
  mock_vendor& vendor() { return *vendor_; }

 private:
  std::shared_ptr<mock_vendor> vendor_;
  http::worker_pool pool_{1};
};

}  // namespace llmgw::mock
