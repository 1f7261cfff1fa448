#include "core/eventstream.hpp"

#include <array>

namespace llmgw::eventstream {

namespace {

constexpr std::size_t k_prelude_bytes = 12;   // two lengths and the prelude CRC
constexpr std::size_t k_overhead_bytes = 16;  // prelude and message CRC

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

constexpr auto k_crc_table = make_crc_table();

std::uint32_t read_u32(std::string_view bytes, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(bytes[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(bytes[at + 3])};
}

std::uint16_t read_u16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

void append_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// Fixed value sizes of the header types; -1 for the length-prefixed ones
// (6 byte array, 7 string), -2 for types the format does not define.
int fixed_value_size(unsigned char type) {
  switch (type) {
    case 0:  // bool true
    case 1:  // bool false
      return 0;
    case 2:  // byte
      return 1;
    case 3:  // short
      return 2;
    case 4:  // integer
      return 4;
    case 5:  // long
    case 8:  // timestamp
      return 8;
    case 6:  // byte array
    case 7:  // string
      return -1;
    case 9:  // uuid
      return 16;
    default:
      return -2;
  }
}

// Reads the headers block into `out`; false (with `why`) when it is malformed.
bool read_headers(std::string_view block, event_message& out, std::string& why) {
  std::size_t at = 0;
  while (at < block.size()) {
    const std::size_t name_length = static_cast<unsigned char>(block[at]);
    ++at;
    if (block.size() - at < name_length + 1) {
      why = "a header name runs past the headers";
      return false;
    }
    const std::string_view name = block.substr(at, name_length);
    at += name_length;
    const auto type = static_cast<unsigned char>(block[at]);
    ++at;
    const int size = fixed_value_size(type);
    if (size == -2) {
      why = "unknown header value type " + std::to_string(type);
      return false;
    }
    std::string_view value;
    if (size == -1) {
      if (block.size() - at < 2) {
        why = "a header value length runs past the headers";
        return false;
      }
      const std::size_t length = read_u16(block, at);
      at += 2;
      if (block.size() - at < length) {
        why = "a header value runs past the headers";
        return false;
      }
      value = block.substr(at, length);
      at += length;
    } else {
      if (block.size() - at < static_cast<std::size_t>(size)) {
        why = "a header value runs past the headers";
        return false;
      }
      at += static_cast<std::size_t>(size);
    }
    if (type != 7) continue;  // every header this decoder reports is a string
    if (name == ":event-type") {
      out.event_type = value;
    } else if (name == ":message-type") {
      out.message_type = value;
    } else if (name == ":content-type") {
      out.content_type = value;
    } else if (name == ":exception-type") {
      out.exception_type = value;
    } else if (name == ":error-code") {
      out.error_code = value;
    } else if (name == ":error-message") {
      out.error_message = value;
    }
  }
  return true;
}

}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  crc = ~crc;
  for (unsigned char b : data) crc = k_crc_table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

void eventstream_decoder::feed(std::string_view bytes) {
  if (failed()) return;
  // Drop what was returned already, once it is worth the move.
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ >= 4096 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

bool eventstream_decoder::fail(std::string why) {
  error_ = std::move(why);
  buffer_.clear();
  pos_ = 0;
  return false;
}

bool eventstream_decoder::next(event_message& out) {
  if (failed()) return false;
  const std::string_view pending = std::string_view(buffer_).substr(pos_);
  if (pending.size() < k_prelude_bytes) return false;
  const std::uint32_t total = read_u32(pending, 0);
  const std::uint32_t headers_length = read_u32(pending, 4);
  // The prelude is checked before its lengths are trusted.
  if (crc32(pending.substr(0, 8)) != read_u32(pending, 8)) return fail("prelude CRC mismatch");
  if (total < k_overhead_bytes || total > max_message_bytes) {
    return fail("message length " + std::to_string(total) + " out of range");
  }
  if (headers_length > total - k_overhead_bytes) return fail("headers length exceeds the message");
  if (pending.size() < total) return false;

  const std::string_view message = pending.substr(0, total);
  if (crc32(message.substr(0, total - 4)) != read_u32(message, total - 4)) return fail("message CRC mismatch");

  out = event_message{};
  std::string why;
  if (!read_headers(message.substr(k_prelude_bytes, headers_length), out, why)) return fail(std::move(why));
  out.payload = message.substr(k_prelude_bytes + headers_length, total - k_overhead_bytes - headers_length);
  pos_ += total;
  return true;
}

void append_event_message(std::string& out, const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                          std::string_view payload) {
  std::string header_block;
  for (const auto& [name, value] : headers) {
    header_block.push_back(static_cast<char>(name.size()));
    header_block.append(name);
    header_block.push_back(7);
    header_block.push_back(static_cast<char>(value.size() >> 8));
    header_block.push_back(static_cast<char>(value.size()));
    header_block.append(value);
  }
  const std::size_t start = out.size();
  append_u32(out, static_cast<std::uint32_t>(k_overhead_bytes + header_block.size() + payload.size()));
  append_u32(out, static_cast<std::uint32_t>(header_block.size()));
  append_u32(out, crc32(std::string_view(out).substr(start, 8)));
  out.append(header_block);
  out.append(payload);
  append_u32(out, crc32(std::string_view(out).substr(start)));
}

}  // namespace llmgw::eventstream
