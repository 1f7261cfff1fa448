// The stream translator beyond the golden fixtures: every split point,
// line-ending variants, incomplete streams and what follows an error.
#include <gtest/gtest.h>

#include "providers/gemini.hpp"

namespace llmgw::providers {
namespace {

struct run_result {
  std::string out;
  std::optional<gateway_error> error;
  std::optional<token_usage> usage;
};

run_result run(const std::vector<std::string_view>& pieces, bool include_usage = true) {
  stream_options so;
  so.requested_model = "m";
  so.include_usage = include_usage;
  so.id = "chatcmpl-x";
  so.created = 1;
  auto t = gemini_provider().translate_stream(so);
  run_result r;
  for (auto p : pieces) t->feed(p, r.out);
  t->finish(r.out);
  r.error = t->error();
  r.usage = t->usage();
  return r;
}

constexpr std::string_view k_stream =
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi \\u00e9\"}],\"role\":\"model\"}}]}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"k\":\"v\"}}}],"
    "\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2,"
    "\"candidatesTokenCount\":3,\"totalTokenCount\":5}}\r\n\r\n";

TEST(GeminiStream, SameOutputWhateverTheSplitPoints) {
  const run_result whole = run({k_stream});
  ASSERT_FALSE(whole.error);
  EXPECT_NE(whole.out.find(R"("content":"Hi é")"), std::string::npos) << whole.out;
  EXPECT_NE(whole.out.find(R"("finish_reason":"tool_calls")"), std::string::npos);
  EXPECT_TRUE(whole.out.ends_with("data: [DONE]\n\n"));
  ASSERT_TRUE(whole.usage);
  EXPECT_EQ(whole.usage->total_tokens, 5);
  for (std::size_t cut = 1; cut < k_stream.size(); ++cut) {
    const run_result two = run({k_stream.substr(0, cut), k_stream.substr(cut)});
    ASSERT_EQ(two.out, whole.out) << "split at " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < k_stream.size(); ++i) bytes.push_back(k_stream.substr(i, 1));
  EXPECT_EQ(run(bytes).out, whole.out);
}

TEST(GeminiStream, LineEndingsLfCrAndCrlfAreAlike) {
  const std::string lf =
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\n\n";
  std::string cr = lf;
  for (auto& c : cr)
    if (c == '\n') c = '\r';
  const run_result a = run({lf});
  ASSERT_FALSE(a.error);
  EXPECT_EQ(run({cr}).out, a.out);
  EXPECT_EQ(run({std::string_view(cr).substr(0, cr.size() - 1), "\r"}).out, a.out);
}

TEST(GeminiStream, MissingFinishReasonIsAnError) {
  const run_result r = run({"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n"});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 502);
  EXPECT_EQ(r.out.find("[DONE]"), std::string::npos);
  EXPECT_NE(r.out.find(R"("content":"a")"), std::string::npos);
}

TEST(GeminiStream, EmptyBodyIsAnError) {
  const run_result r = run({});
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.out.empty());
}

TEST(GeminiStream, NotJsonIsAnErrorAndStopsTheStream) {
  const run_result r = run(
      {"data: {oops\r\n\r\n",
       "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"late\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 502);
  EXPECT_EQ(r.out.find("late"), std::string::npos);
}

TEST(GeminiStream, ErrorEventKeepsGoogleStatusAndStopsTheStream) {
  const run_result r =
      run({"data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n",
           "data: {\"candidates\":[{\"finishReason\":\"STOP\"}]}\n\n"});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 429);
  EXPECT_EQ(r.error->message, "quota");
  EXPECT_TRUE(r.out.empty());
}

TEST(GeminiStream, NothingButUsageAfterTheFinishChunk) {
  const run_result r =
      run({"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\n\n"
           "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}],"
           "\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":1}}\n\n"});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.out.find(R"("content":"b")"), std::string::npos);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->total_tokens, 2);
  EXPECT_NE(r.out.find(R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2)"), std::string::npos);
}

TEST(GeminiStream, WithoutIncludeUsageNoUsageChunkButUsageKnown) {
  const run_result r =
      run({"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}],"
           "\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":1,\"totalTokenCount\":2}}\n\n"},
          false);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.out.find("\"usage\""), std::string::npos);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->prompt_tokens, 1);
}

TEST(GeminiStream, MultiLineDataIsJoined) {
  const run_result r =
      run({"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\n"
           "data: \"finishReason\":\"STOP\"}]}\n\n"});
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_NE(r.out.find(R"("finish_reason":"stop")"), std::string::npos);
}

TEST(GeminiStream, OversizedEventIsAnError) {
  std::string huge = "data: \"";
  huge.append(17 * 1024 * 1024, 'x');
  const run_result r = run({huge});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 502);
}

}  // namespace
}  // namespace llmgw::providers
