#pragma once
// Checks for values that end up in an HTTP header line, ours or relayed from
// a vendor. A value is written between "name: " and CRLF, so a CR, LF or any
// other control byte in it could end the line early and start a header (or
// a whole response) of the sender's choosing. Values are checked where they
// come from: request fields, config, vendor responses.
#include <string_view>

namespace llmgw {

// True when `s` holds a byte below 0x20 or 0x7f (DEL). Strict: a tab counts
// too, since none of the names we check (model ids, vendor names) has one.
bool has_control_char(std::string_view s);

// A retry-after value we are willing to relay (RFC 9110 §10.2.3):
// delta-seconds (1 to 10 digits) or an HTTP-date in IMF-fixdate form
// ("Sun, 06 Nov 1994 08:49:37 GMT"). The two obsolete date forms are
// refused: a sender must not generate them, and dropping a retry-after only
// loses a hint.
bool is_retry_after(std::string_view s);

// A plausible media type for content-type (RFC 9110 §8.3.1): token "/" token,
// then optional parameters introduced by ';', printable ASCII only.
bool is_media_type(std::string_view s);

}  // namespace llmgw
