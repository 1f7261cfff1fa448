#include "api/models.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace llmgw::api {
namespace {

const std::vector<model_info> k_models = {
    {"main", "llmgw"},
    {"gpt-4o-mini", "openai"},
    {"groq/llama-3.1-8b-instant", "groq"},
    {"bedrock/anthropic.claude-3-haiku-20240307-v1:0", "bedrock"},
};

TEST(models, list_and_single_objects_have_openai_fields) {
  std::string list;
  append_model_list(list, k_models);
  EXPECT_TRUE(list.starts_with(
      R"({"object":"list","data":[{"id":"main","object":"model","created":0,"owned_by":"llmgw"},{"id":"gpt-4o-mini")"))
      << list;
  EXPECT_TRUE(list.ends_with(R"("owned_by":"bedrock"}]})")) << list;
  std::string one;
  append_model(one, k_models[2]);
  EXPECT_EQ(one, R"({"id":"groq/llama-3.1-8b-instant","object":"model","created":0,"owned_by":"groq"})");
  std::string empty;
  append_model_list(empty, {});
  EXPECT_EQ(empty, R"({"object":"list","data":[]})");
}

TEST(models, ids_with_slashes_and_colons_plain_or_percent_encoded) {
  for (std::string_view rest :
       {"bedrock/anthropic.claude-3-haiku-20240307-v1:0", "bedrock%2Fanthropic.claude-3-haiku-20240307-v1%3A0",
        "bedrock%2fanthropic.claude-3-haiku-20240307-v1%3a0"}) {
    const auto id = model_id_from_path(rest);
    ASSERT_TRUE(id) << rest;
    const model_info* m = find_model(k_models, *id);
    ASSERT_NE(m, nullptr) << rest;
    EXPECT_EQ(m->owned_by, "bedrock");
  }
  EXPECT_EQ(find_model(k_models, *model_id_from_path("groq%2Fllama-3.1-8b-instant"))->owned_by, "groq");
}

TEST(models, unknown_empty_and_malformed_ids) {
  EXPECT_EQ(find_model(k_models, "gpt-4o"), nullptr);
  EXPECT_EQ(find_model(k_models, "groq"), nullptr);
  EXPECT_FALSE(model_id_from_path(""));
  EXPECT_FALSE(model_id_from_path("bad%zzescape"));
  EXPECT_FALSE(model_id_from_path("trailing%2"));
  EXPECT_EQ(*model_id_from_path("a%20b"), "a b");
}

}  // namespace
}  // namespace llmgw::api
