#pragma once
// Request ids for logs and the x-request-id header: "req_" + 24 hex digits
// (96 random bits). Generated per thread without locks or heap allocation.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace llmgw {

class request_id {
 public:
  static constexpr std::string_view prefix = "req_";
  static constexpr std::size_t hex_digits = 24;
  static constexpr std::size_t size = prefix.size() + hex_digits;

  // A fresh id from this thread's generator.
  static request_id generate();

  std::string_view view() const { return {chars_.data(), chars_.size()}; }
  std::string str() const { return std::string(view()); }

 private:
  std::array<char, size> chars_{};
};

// Convenience for callers that want a std::string.
inline std::string new_request_id() { return request_id::generate().str(); }

}  // namespace llmgw
