// Runs the chat request validator; when a body passes, every rewrite of it
// must pass again and say what was written. The embeddings validator and the
// usage scanner read the same bytes for crashes only.
#include "api/chat_request.hpp"
#include "api/embeddings_request.hpp"
#include "api/usage_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void check(bool ok, const char* what, const std::string& body) {
  if (!ok) {
    std::fprintf(stderr, "chat_request_fuzz: %s\n%s\n", what, body.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  std::string embeddings_body = input;
  (void)llmgw::api::parse_embeddings_request(embeddings_body);
  (void)llmgw::api::scan_usage(input);
  (void)llmgw::api::is_usage_only_chunk(input);

  std::string body = input;
  auto parsed = llmgw::api::parse_chat_request(body);
  if (parsed.has_error()) {
    check(parsed.error().status == 400, "error status is not 400", input);
    return 0;
  }
  const llmgw::api::chat_request_info& info = *parsed;
  check(body == input, "validation changed the body", input);
  const std::string_view token = std::string_view(body).substr(info.model.offset, info.model.length);
  check(token.size() >= 2 && token.front() == '"' && token.back() == '"', "model token is not a string", input);
  check(llmgw::api::rewrite_chat_body(body, info, std::nullopt, false) == body, "empty rewrite changed the body",
        input);

  // Characters the splice must escape (a quote, a backslash, invalid UTF-8);
  // no control character, which validation refuses in a model name.
  const std::string_view new_model = "fuzz/\"m\"\\\xff";
  for (bool inject : {false, true}) {
    if (inject && !info.stream) continue;  // stream_options is only valid on streams
    for (bool rename : {false, true}) {
      std::string rewritten =
          llmgw::api::rewrite_chat_body(body, info, rename ? std::optional(new_model) : std::nullopt, inject);
      auto again = llmgw::api::parse_chat_request(rewritten);
      if (again.has_error()) {
        std::fprintf(stderr, "%s (param %s)\n", again.error().message.c_str(), again.error().param.c_str());
      }
      check(!again.has_error(), "rewritten body does not validate", rewritten);
      check(again->model.name() == (rename ? std::string_view("fuzz/\"m\"\\\xEF\xBF\xBD") : info.model.name()),
            "rewritten model differs", rewritten);
      check(again->stream == info.stream, "stream changed", rewritten);
      check(again->message_count == info.message_count, "message count changed", rewritten);
      check(again->max_tokens == info.max_tokens, "max_tokens changed", rewritten);
      if (inject)
        check(again->client_include_usage, "include_usage not injected", rewritten);
      else
        check(again->client_include_usage == info.client_include_usage, "include_usage changed", rewritten);
    }
  }
  return 0;
}
