// The mock's Gemini dialect, and a cross-check that what it sends is read
// back by the gateway's Gemini adapter as the same reply.
#include "mock/gemini_dialect.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/gemini.hpp"

namespace llmgw::mock {
namespace {

namespace json = boost::json;

header_lookup headers_of(std::vector<std::pair<std::string, std::string>> h) {
  return [h = std::move(h)](std::string_view name) -> std::string_view {
    for (const auto& [n, v] : h)
      if (n == name) return v;
    return {};
  };
}

std::string google_status_of(const mock_error& e) {
  return std::string(json::parse(e.body).at("error").at("status").as_string());
}

TEST(GeminiDialectAuth, HeaderOrKeyQueryParameter) {
  const dialect& d = gemini_dialect();
  EXPECT_FALSE(d.check_auth(headers_of({{"x-goog-api-key", "k1"}}), "", "k1"));
  EXPECT_FALSE(d.check_auth(headers_of({}), "alt=sse&key=k1", "k1"));
  EXPECT_FALSE(d.check_auth(headers_of({{"x-goog-api-key", "anything"}}), "", ""));
}

TEST(GeminiDialectAuth, MissingKeyIs403AndWrongKeyIs400ApiKeyInvalid) {
  const dialect& d = gemini_dialect();
  auto missing = d.check_auth(headers_of({}), "alt=sse", "k1");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(google_status_of(*missing), "PERMISSION_DENIED");

  auto wrong = d.check_auth(headers_of({}), "key=nope", "k1");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_NE(wrong->body.find("API_KEY_INVALID"), std::string::npos);
  EXPECT_EQ(wrong->body.find("nope"), std::string::npos);
  EXPECT_EQ(wrong->content_type, "application/json; charset=UTF-8");
  // The gateway tells its client that the vendor refused the gateway's key.
  EXPECT_EQ(providers::gemini_provider().decode_error(wrong->status, wrong->body).status, 401);
}

TEST(GeminiDialectRead, ModelStreamToolsConfigAndLastUserTurn) {
  std::string body = R"({"systemInstruction":{"parts":[{"text":"be brief"}]},
    "contents":[{"role":"user","parts":[{"text":"first"}]},{"role":"model","parts":[{"text":"ok"}]},
                {"role":"user","parts":[{"text":"call it [mock:tool]"}]}],
    "tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"}]}],
    "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["b"]}},
    "generationConfig":{"temperature":0.1,"maxOutputTokens":5}})";
  chat_request_info info;
  ASSERT_FALSE(gemini_dialect().read_chat(body, "gemini-2.5-flash", true, info));
  EXPECT_EQ(info.model, "gemini-2.5-flash");
  EXPECT_TRUE(info.stream);
  EXPECT_FALSE(info.include_usage);
  EXPECT_TRUE(info.has_tools);
  EXPECT_EQ(info.forced_tool, "b");
  EXPECT_FALSE(info.tool_choice_required);
  ASSERT_TRUE(info.max_tokens);
  EXPECT_EQ(*info.max_tokens, 5u);
  EXPECT_TRUE(info.last_message_is_user);
  EXPECT_NE(info.last_user_content.find("[mock:tool]"), std::string_view::npos);
  EXPECT_EQ(info.last_user_content.find("first"), std::string_view::npos);
}

TEST(GeminiDialectRead, FunctionResponseTurnIsNotAQuestionAndSnakeCaseIsRead) {
  std::string body = R"({"contents":[{"role":"user","parts":[{"text":"[mock:tool]"}]},
    {"role":"model","parts":[{"functionCall":{"name":"a","args":{}}}]},
    {"role":"user","parts":[{"function_response":{"name":"a","response":{"text":"functionResponse"}}}]}],
    "tools":[{"function_declarations":[{"name":"a"}]}],
    "tool_config":{"function_calling_config":{"mode":"ANY","allowed_function_names":["a","c"]}}})";
  chat_request_info info;
  ASSERT_FALSE(gemini_dialect().read_chat(body, "m", false, info));
  EXPECT_FALSE(info.last_message_is_user);
  EXPECT_TRUE(info.last_user_content.empty());
  EXPECT_TRUE(info.has_tools);
  EXPECT_TRUE(info.tool_choice_required);
  EXPECT_TRUE(info.forced_tool.empty());

  // A text merely mentioning "functionResponse" is still a question.
  std::string text = R"({"contents":[{"parts":[{"text":"\"functionResponse\""}]}],
    "toolConfig":{"functionCallingConfig":{"mode":"NONE"}}})";
  chat_request_info t;
  ASSERT_FALSE(gemini_dialect().read_chat(text, "m", false, t));
  EXPECT_TRUE(t.last_message_is_user);
  EXPECT_TRUE(t.tool_choice_none);
}

TEST(GeminiDialectRead, BadBodiesGetGoogle400s) {
  for (std::string body : {std::string("{not json"), std::string(R"({"generationConfig":{}})"),
                           std::string(R"({"contents":[],"generationConfig":{"maxOutputTokens":"x"}})")}) {
    chat_request_info info;
    auto e = gemini_dialect().read_chat(body, "m", false, info);
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->status, 400) << body;
    EXPECT_EQ(google_status_of(*e), "INVALID_ARGUMENT") << body;
  }
}

TEST(GeminiDialectTools, ArgumentsFitTheCapitalisedSchema) {
  const std::string body = R"({"tools":[{"functionDeclarations":[
    {"name":"first","parameters":{"type":"OBJECT","properties":{"q":{"type":"STRING"}}}},
    {"name":"second","parameters":{"type":"OBJECT","properties":{"n":{"type":"INTEGER"},"tags":{"type":"ARRAY","items":{"type":"STRING"}}}}}]}]})";
  auto first = gemini_dialect().make_tool_call(body, "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->name, "first");
  EXPECT_EQ(json::parse(first->arguments), json::parse(R"({"q":"mock"})"));
  auto second = gemini_dialect().make_tool_call(body, "second");
  ASSERT_TRUE(second);
  EXPECT_EQ(json::parse(second->arguments), json::parse(R"({"n":1,"tags":["mock"]})"));
  EXPECT_FALSE(gemini_dialect().make_tool_call(body, "third"));
}

TEST(GeminiDialectReply, TheAdapterReadsTextAndToolCallReplies) {
  const completion_meta meta = new_completion_meta("gemini-2.5-flash");
  reply text{meta, "Hello there.", nullptr, "length", usage_counts{7, 3}};
  std::string out;
  gemini_dialect().render_reply(out, text);
  const auto parsed = json::parse(out);
  EXPECT_EQ(parsed.at("modelVersion").as_string(), "gemini-2.5-flash");
  EXPECT_FALSE(parsed.at("responseId").as_string().empty());
  token_usage u;
  auto decoded = providers::gemini_provider().decode_chat(out, "client-model", &u);
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto openai = json::parse(*decoded);
  EXPECT_EQ(openai.at("choices").at(0).at("message").at("content").as_string(), "Hello there.");
  EXPECT_EQ(openai.at("choices").at(0).at("finish_reason").as_string(), "length");
  EXPECT_EQ(u, (token_usage{7, 3, 10, 0, 0, 0}));

  const tool_call call{"call_x", "lookup", R"({"id":42})"};
  reply tool{meta, "", &call, "tool_calls", usage_counts{7, 2}};
  out.clear();
  gemini_dialect().render_reply(out, tool);
  auto decoded_tool = providers::gemini_provider().decode_chat(out, "client-model", nullptr);
  ASSERT_TRUE(decoded_tool);
  const auto t = json::parse(*decoded_tool);
  EXPECT_EQ(t.at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
  EXPECT_EQ(t.at("choices").at(0).at("message").at("tool_calls").at(0).at("function").at("arguments").as_string(),
            R"({"id":42})");
}

std::string translate(const std::string& vendor_stream, std::optional<token_usage>& usage, bool& failed) {
  providers::stream_options so;
  so.requested_model = "client-model";
  so.include_usage = true;
  so.id = "chatcmpl-t";
  auto t = providers::gemini_provider().translate_stream(so);
  std::string out;
  t->feed(vendor_stream, out);
  t->finish(out);
  usage = t->usage();
  failed = t->error().has_value();
  return out;
}

TEST(GeminiDialectStream, OneCrlfEventPerPieceAndTheAdapterReadsThem) {
  const completion_meta meta = new_completion_meta("gemini-2.0-flash");
  reply r{meta, "", nullptr, "stop", usage_counts{4, 2}};
  auto w = gemini_dialect().stream(r);
  std::string out;
  w->begin(out);
  EXPECT_TRUE(out.empty());
  w->piece(out, "Hi");
  w->piece(out, " you");
  w->end(out);
  std::size_t events = 0;
  for (auto pos = out.find("data: "); pos != std::string::npos; pos = out.find("data: ", pos + 1)) ++events;
  EXPECT_EQ(events, 3u);
  EXPECT_TRUE(out.ends_with("}\r\n\r\n"));

  std::optional<token_usage> usage;
  bool failed = false;
  const std::string openai = translate(out, usage, failed);
  EXPECT_FALSE(failed);
  EXPECT_NE(openai.find(R"("content":"Hi")"), std::string::npos);
  EXPECT_NE(openai.find(R"("content":" you")"), std::string::npos);
  EXPECT_NE(openai.find(R"("finish_reason":"stop")"), std::string::npos);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->completion_tokens, 2);
  EXPECT_EQ(usage->total_tokens, 6);
}

TEST(GeminiDialectStream, FunctionCallArrivesWholeInOneEvent) {
  const completion_meta meta = new_completion_meta("gemini-2.0-flash");
  const tool_call call{"call_y", "f", R"({"city":"Paris"})"};
  reply r{meta, "", &call, "tool_calls", usage_counts{4, 3}};
  auto w = gemini_dialect().stream(r);
  std::string first;
  w->begin(first);
  w->piece(first, R"({"ci)");
  std::string rest;
  w->piece(rest, R"(ty":"Paris"})");
  EXPECT_TRUE(rest.empty());
  EXPECT_NE(first.find(R"("functionCall":{"name":"f","args":{"city":"Paris"}})"), std::string::npos);
  w->end(rest);

  std::optional<token_usage> usage;
  bool failed = false;
  const std::string openai = translate(first + rest, usage, failed);
  EXPECT_FALSE(failed);
  EXPECT_NE(openai.find(R"("finish_reason":"tool_calls")"), std::string::npos);
  EXPECT_NE(openai.find(R"("arguments":"{\"city\":\"Paris\"}")"), std::string::npos);
}

TEST(GeminiDialectErrors, ScriptedStatusesReachTheClientAsMapped) {
  const struct {
    int vendor;
    int client;
    std::string_view google;
  } cases[] = {{400, 400, "INVALID_ARGUMENT"}, {401, 401, "UNAUTHENTICATED"},    {403, 403, "PERMISSION_DENIED"},
               {404, 404, "NOT_FOUND"},        {429, 429, "RESOURCE_EXHAUSTED"}, {500, 500, "INTERNAL"},
               {503, 503, "UNAVAILABLE"},      {504, 504, "DEADLINE_EXCEEDED"},  {418, 418, "FAILED_PRECONDITION"}};
  for (const auto& c : cases) {
    const mock_error e = gemini_dialect().scripted_error(c.vendor, "gemini-x");
    EXPECT_EQ(e.status, c.vendor);
    EXPECT_EQ(google_status_of(e), c.google) << c.vendor;
    EXPECT_EQ(json::parse(e.body).at("error").at("code").as_int64(), c.vendor);
    const gateway_error g = providers::gemini_provider().decode_error(e.status, e.body);
    EXPECT_EQ(g.status, c.client) << c.vendor;
    if (c.vendor == 429) {
      EXPECT_EQ(g.retry_after, "1");
    }
    if (c.vendor == 404) {
      EXPECT_NE(g.message.find("models/gemini-x"), std::string::npos);
    }
  }
}

TEST(GeminiBatchEmbed, VectorsPerRequestWithDimensions) {
  std::string out;
  ASSERT_FALSE(gemini_batch_embed(R"({"requests":[
    {"model":"models/text-embedding-004","content":{"parts":[{"text":"a"}]}},
    {"model":"models/text-embedding-004","content":{"parts":[{"text":"b"}]},"outputDimensionality":8}]})",
                                  "text-embedding-004", out));
  const auto v = json::parse(out);
  const auto& embeddings = v.at("embeddings").as_array();
  ASSERT_EQ(embeddings.size(), 2u);
  EXPECT_EQ(embeddings[0].at("values").as_array().size(), 768u);
  EXPECT_EQ(embeddings[1].at("values").as_array().size(), 8u);

  std::string again;
  ASSERT_FALSE(
      gemini_batch_embed(R"({"requests":[{"content":{"parts":[{"text":"a"}]}}]})", "text-embedding-004", again));
  EXPECT_EQ(json::parse(again).at("embeddings").at(0), embeddings[0]);

  std::string big;
  ASSERT_FALSE(
      gemini_batch_embed(R"({"requests":[{"content":{"parts":[{"text":"a"}]}}]})", "gemini-embedding-001", big));
  EXPECT_EQ(json::parse(big).at("embeddings").at(0).at("values").as_array().size(), 3072u);

  // Read back by the adapter as OpenAI embeddings.
  auto openai = providers::gemini_provider().decode_embeddings(out, "client-model", nullptr);
  ASSERT_TRUE(openai);
  EXPECT_EQ(json::parse(*openai).at("data").at(1).at("embedding").as_array().size(), 8u);
}

TEST(GeminiBatchEmbed, BadRequestsAre400AndWriteNothing) {
  for (std::string_view body :
       {std::string_view("nope"), std::string_view(R"({"requests":[]})"),
        std::string_view(R"({"requests":[{"content":{"parts":[]}}]})"),
        std::string_view(R"({"requests":[{"content":{"parts":[{"text":"a"}]},"outputDimensionality":0}]})")}) {
    std::string out;
    auto e = gemini_batch_embed(body, "text-embedding-004", out);
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->status, 400);
    EXPECT_TRUE(out.empty()) << body;
  }
}

}  // namespace
}  // namespace llmgw::mock
