#pragma once
// The extra headers of one response, collected as the stages add them
// (request id, route, retry-after; rate-limit and cache headers next). Room
// for a typical response's headers inline, growing past it when a stage
// adds more, so no call site sizes an array for the worst case.
#include <boost/container/small_vector.hpp>

#include <string_view>

#include "http/server.hpp"

namespace llmgw::http {

class response_headers {
 public:
  // The views must outlive the response's send(): point them at the
  // request's own state, not at a stage's temporaries.
  void add(header_name name, std::string_view value) { fields_.push_back({name, value}); }
  std::size_t size() const { return fields_.size(); }
  header_list list() const { return {fields_.data(), fields_.size()}; }
  operator header_list() const { return list(); }  // NOLINT: passed straight to response_writer

 private:
  boost::container::small_vector<header_field, 16> fields_;
};

}  // namespace llmgw::http
