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

TEST(request_record, a_reused_slot_keeps_nothing_of_the_previous_record) {
  request_record slot;
  request_record failed;
  failed.request_id = "req_1";
  failed.path = "/v1/chat/completions";
  failed.model = "gpt-4o";
  failed.status = 502;
  failed.error = "upstream_error";
  failed.prompt_tokens = 3;
  failed.attempts.resize(3);
  failed.attempts[2].error = "connect";
  failed.dropped_params = {"top_p"};
  failed.team = "team-a";
  failed.user_id = "user-7";
  failed.cost_known = true;
  failed.cost_usd = 0.5;
  failed.cost_cached_input_usd = 0.25;
  copy_record(failed, slot);
  EXPECT_EQ(slot.error, "upstream_error");
  EXPECT_EQ(slot.team, "team-a");
  EXPECT_EQ(slot.user_id, "user-7");
  EXPECT_TRUE(slot.cost_known);
  EXPECT_EQ(slot.cost_usd, 0.5);
  EXPECT_EQ(slot.cost_cached_input_usd, 0.25);
  EXPECT_EQ(slot.dropped_params, std::vector<std::string_view>{"top_p"});
  EXPECT_EQ(slot.attempts.size(), 3u);
  EXPECT_EQ(slot.attempts[2].error, "connect");

  request_record ok;
  ok.request_id = "req_2";
  ok.status = 200;
  ok.ended = std::chrono::system_clock::now();
  ok.attempts.resize(1);
  ok.attempts[0].provider = "openai";
  copy_record(ok, slot);
  EXPECT_EQ(slot.request_id, "req_2");
  EXPECT_EQ(slot.ended, ok.ended);
  EXPECT_TRUE(slot.path.empty());
  EXPECT_TRUE(slot.model.empty());
  EXPECT_TRUE(slot.error.empty());
  EXPECT_TRUE(slot.team.empty());
  EXPECT_TRUE(slot.user_id.empty());
  EXPECT_FALSE(slot.cost_known);
  EXPECT_EQ(slot.cost_cached_input_usd, 0);
  EXPECT_EQ(slot.status, 200);
  EXPECT_EQ(slot.prompt_tokens, -1);
  ASSERT_EQ(slot.attempts.size(), 1u);
  EXPECT_EQ(slot.attempts[0].provider, "openai");
  EXPECT_TRUE(slot.attempts[0].error.empty());
  EXPECT_TRUE(slot.dropped_params.empty());
}

// A pooled record starts its next request as a fresh one, its buffers kept.
TEST(request_record, a_reset_record_has_a_fresh_records_values_and_keeps_its_buffers) {
  request_record r;
  r.status = 502;
  r.stream = true;
  r.prompt_tokens = 7;
  r.cache = cache_status::hit;
  r.cost_known = true;
  r.cost_usd = 1.5;
  r.hedged = true;
  r.hedge_loser_cost_usd = 0.25;
  r.client_api = "anthropic";
  r.ended = std::chrono::system_clock::now();
  r.model = std::string(40, 'm');
  r.metadata = R"({"a":"b"})";
  r.attempts.resize(2);
  r.dropped_params = {"top_k"};
  const std::size_t model_capacity = r.model.capacity();
  reset_record(r);
  const request_record fresh;
  EXPECT_EQ(r.status, fresh.status);
  EXPECT_EQ(r.stream, fresh.stream);
  EXPECT_EQ(r.prompt_tokens, -1);
  EXPECT_EQ(r.cache, cache_status::not_looked_up);
  EXPECT_FALSE(r.cost_known);
  EXPECT_EQ(r.cost_usd, 0);
  EXPECT_FALSE(r.hedged);
  EXPECT_EQ(r.hedge_loser_cost_usd, -1);
  EXPECT_TRUE(r.client_api.empty());
  EXPECT_EQ(r.ended, fresh.ended);
  EXPECT_TRUE(r.model.empty());
  EXPECT_EQ(r.model.capacity(), model_capacity);
  EXPECT_TRUE(r.metadata.empty());
  EXPECT_TRUE(r.attempts.empty());
  EXPECT_GE(r.attempts.capacity(), 2u);
  EXPECT_TRUE(r.dropped_params.empty());
}

TEST(request_record, client_chosen_text_is_cut_and_attempts_are_bounded) {
  request_record r;
  r.model.assign(1 << 20, 'm');
  r.attempts.resize(k_max_attempts + 50);
  r.attempts.back().model.assign(1 << 20, 'x');
  request_record slot;
  copy_record(r, slot);
  EXPECT_EQ(slot.model.size(), k_max_field_bytes);
  EXPECT_EQ(slot.attempts.size(), k_max_attempts);
}

}  // namespace
}  // namespace llmgw::usage
