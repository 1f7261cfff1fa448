#pragma once
// The application/vnd.amazon.eventstream framing of AWS streaming APIs
// (Bedrock ConverseStream among them). One message:
//
//   total length u32 BE | headers length u32 BE | prelude CRC32 u32 BE
//   headers | payload | message CRC32 u32 BE
//
// each header being name length u8, name, value type u8, value. Both CRCs
// are CRC-32 (IEEE, as gzip): the prelude CRC covers the 8 length bytes, the
// message CRC everything before it. The decoder is incremental and I/O-free;
// the encoder is what the mock vendor streams with.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw::eventstream {

// CRC-32 (IEEE 802.3, reflected, as gzip and zlib compute it). Pass the
// previous result as `crc` to continue over more bytes.
std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

// The headers a consumer acts on; others are skipped (whatever their type).
struct event_message {
  std::string event_type;      // :event-type, e.g. contentBlockDelta
  std::string message_type;    // :message-type: event, exception or error
  std::string content_type;    // :content-type
  std::string exception_type;  // :exception-type, e.g. throttlingException
  std::string error_code;      // :error-code (message-type error)
  std::string error_message;   // :error-message (message-type error)
  std::string payload;
};

class eventstream_decoder {
 public:
  // Larger messages are refused: a corrupt length must not make the
  // decoder wait for (or allocate) gigabytes.
  static constexpr std::uint32_t max_message_bytes = 16u << 20;

  // Bytes as they arrive, split anywhere.
  void feed(std::string_view bytes);
  // The next complete message; false when more bytes are needed or the
  // stream is broken (then failed() says so and nothing more comes out).
  bool next(event_message& out);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes of an incomplete message are waiting: the stream stopped mid-message.
  bool partial() const { return pos_ < buffer_.size(); }

 private:
  bool fail(std::string why);
  std::string buffer_;
  std::size_t pos_ = 0;  // start of the first message not yet returned
  std::string error_;
};

// Appends one message with string-typed (type 7) headers.
void append_event_message(std::string& out, const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                          std::string_view payload);

}  // namespace llmgw::eventstream
