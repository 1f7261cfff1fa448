#pragma once
// GET /v1/usage runs its SQL on a thread of its own (usage_queries), never
// on a worker: a slow aggregate over millions of rows must not hold the
// requests of the worker that took the call. One connection, opened on
// first use and reused, on that thread only.
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "config/usage_config.hpp"
#include "usage/usage_query.hpp"

namespace llmgw::api {

class usage_queries {
 public:
  explicit usage_queries(const usage_config& cfg);
  ~usage_queries();
  usage_queries(const usage_queries&) = delete;
  usage_queries& operator=(const usage_queries&) = delete;

  struct answer {
    bool ok = false;
    std::string body;   // the JSON list when ok
    std::string error;  // why not (no password in it)
  };
  // Resumes the caller on its own executor when the query is done.
  boost::asio::awaitable<answer> ask(usage::usage_question q);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace llmgw::api
