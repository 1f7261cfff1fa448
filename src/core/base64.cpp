#include "core/base64.hpp"

#include <cstdint>

namespace llmgw {

void append_base64(std::string& out, const unsigned char* data, std::size_t size) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    const char quad[] = {k_alphabet[v >> 18], k_alphabet[(v >> 12) & 63], k_alphabet[(v >> 6) & 63],
                         k_alphabet[v & 63]};
    out.append(quad, 4);
  }
  if (size - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    const char quad[] = {k_alphabet[v >> 18], k_alphabet[(v >> 12) & 63], '=', '='};
    out.append(quad, 4);
  } else if (size - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    const char quad[] = {k_alphabet[v >> 18], k_alphabet[(v >> 12) & 63], k_alphabet[(v >> 6) & 63], '='};
    out.append(quad, 4);
  }
}

}  // namespace llmgw
