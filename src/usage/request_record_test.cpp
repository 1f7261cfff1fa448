#include "usage/request_record.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::usage {
namespace {

TEST(request_record, a_field_is_copied_whole_up_to_the_cap) {
  std::string to = "old value that is longer";
  assign_field(to, "gpt-4o-mini");
  EXPECT_EQ(to, "gpt-4o-mini");
  const std::string exact(k_max_field_bytes, 'm');
  assign_field(to, exact);
  EXPECT_EQ(to, exact);
}

TEST(request_record, a_long_field_is_cut_at_a_character_boundary) {
  // 255 ASCII bytes then "é" (2 bytes): the cap falls inside the character.
  std::string from(k_max_field_bytes - 1, 'a');
  from += "\xC3\xA9 and more";
  std::string to;
  assign_field(to, from);
  EXPECT_EQ(to, std::string(k_max_field_bytes - 1, 'a'));
  // A 10 MB model name does not come through whole.
  assign_field(to, std::string(10 * 1024 * 1024, 'x'));
  EXPECT_EQ(to.size(), k_max_field_bytes);
}

TEST(request_record, large_buffers_are_released_small_ones_kept) {
  request_record r;
  r.model.assign(200, 'm');
  r.request_id = "req_0123456789abcdef01234567";
  const char* id_data = r.request_id.data();
  release_large_fields(r);
  EXPECT_TRUE(r.model.empty());
  EXPECT_LT(r.model.capacity(), 200u);
  EXPECT_EQ(r.request_id.data(), id_data);  // kept for the next record in this slot
}

}  // namespace
}  // namespace llmgw::usage
