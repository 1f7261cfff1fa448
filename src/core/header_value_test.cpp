#include "core/header_value.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw {
namespace {

TEST(header_value, control_characters) {
  EXPECT_FALSE(has_control_char("gpt-4o-mini"));
  EXPECT_FALSE(has_control_char("accounts/fireworks/models/x:1 é"));
  EXPECT_TRUE(has_control_char("gpt-4o-mini\r\nSet-Cookie: a=b"));
  EXPECT_TRUE(has_control_char("a\nb"));
  EXPECT_TRUE(has_control_char("a\tb"));
  EXPECT_TRUE(has_control_char(std::string_view("a\0b", 3)));
  EXPECT_TRUE(has_control_char("a\x7f"));
  EXPECT_TRUE(has_control_char("\x1f"));
}

TEST(header_value, retry_after_delta_seconds) {
  EXPECT_TRUE(is_retry_after("0"));
  EXPECT_TRUE(is_retry_after("1"));
  EXPECT_TRUE(is_retry_after("3600"));
  EXPECT_TRUE(is_retry_after("9999999999"));
  EXPECT_FALSE(is_retry_after("99999999999"));  // 11 digits
  EXPECT_FALSE(is_retry_after(""));
  EXPECT_FALSE(is_retry_after("-1"));
  EXPECT_FALSE(is_retry_after("1.5"));
  EXPECT_FALSE(is_retry_after(" 1"));
  EXPECT_FALSE(is_retry_after("1\r\nSet-Cookie: a=b"));
  EXPECT_FALSE(is_retry_after("sk-vendor-secret-0123456789"));
}

TEST(header_value, retry_after_http_date) {
  EXPECT_TRUE(is_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_TRUE(is_retry_after("Fri, 31 Dec 1999 23:59:60 GMT"));
  EXPECT_FALSE(is_retry_after("Sunday, 06-Nov-94 08:49:37 GMT"));  // obsolete RFC 850 form
  EXPECT_FALSE(is_retry_after("Sun Nov  6 08:49:37 1994"));        // obsolete asctime form
  EXPECT_FALSE(is_retry_after("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_FALSE(is_retry_after("Sun, 06 Nov 1994 24:49:37 GMT"));
  EXPECT_FALSE(is_retry_after("Sun, 32 Nov 1994 08:49:37 GMT"));
  EXPECT_FALSE(is_retry_after("Xyz, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_FALSE(is_retry_after("Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
  EXPECT_FALSE(is_retry_after("Sun, 06 Nox 1994 08:49:37 GMT"));
}

TEST(header_value, media_types) {
  EXPECT_TRUE(is_media_type("application/json"));
  EXPECT_TRUE(is_media_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_media_type("text/event-stream;charset=UTF-8"));
  EXPECT_TRUE(is_media_type("application/vnd.amazon.eventstream"));
  EXPECT_TRUE(is_media_type("multipart/form-data; boundary=\"a b\""));
  EXPECT_FALSE(is_media_type(""));
  EXPECT_FALSE(is_media_type("json"));
  EXPECT_FALSE(is_media_type("application/"));
  EXPECT_FALSE(is_media_type("/json"));
  EXPECT_FALSE(is_media_type("application/json\r\nSet-Cookie: a=b"));
  EXPECT_FALSE(is_media_type("application/json; a=\nb"));
  EXPECT_FALSE(is_media_type("application/json x"));
  EXPECT_FALSE(is_media_type("text/html\x7f"));
  EXPECT_FALSE(is_media_type(std::string(300, 'a') + "/json"));
}

}  // namespace
}  // namespace llmgw
