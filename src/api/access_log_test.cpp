#include "api/access_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmgw::api {
namespace {

TEST(access_log, a_reused_slot_keeps_nothing_of_the_previous_record) {
  usage::request_record slot;
  access_record failed;
  failed.request_id = "req_1";
  failed.path = "/v1/chat/completions";
  failed.model = "gpt-4o";
  failed.status = 502;
  failed.error = "upstream_error";
  failed.prompt_tokens = 3;
  copy_record(failed, {}, slot);
  EXPECT_EQ(slot.error, "upstream_error");

  access_record ok;
  ok.request_id = "req_2";
  ok.status = 200;
  const auto ended = std::chrono::system_clock::now();
  copy_record(ok, ended, slot);
  EXPECT_EQ(slot.request_id, "req_2");
  EXPECT_EQ(slot.ended, ended);
  EXPECT_TRUE(slot.path.empty());
  EXPECT_TRUE(slot.model.empty());
  EXPECT_TRUE(slot.error.empty());
  EXPECT_EQ(slot.status, 200);
  EXPECT_EQ(slot.prompt_tokens, -1);
}

TEST(access_log, a_client_chosen_model_name_is_cut) {
  const std::string huge(1 << 20, 'm');
  access_record r;
  r.model = huge;
  usage::request_record slot;
  copy_record(r, {}, slot);
  EXPECT_EQ(slot.model.size(), usage::k_max_field_bytes);
}

}  // namespace
}  // namespace llmgw::api
