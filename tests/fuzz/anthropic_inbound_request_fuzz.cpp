// An Anthropic Messages request turned into the OpenAI request the other
// vendors get: whatever the bytes, no crash, a 400 for what is refused, and
// for what is accepted: an OpenAI body the canonical parser reads, keeping
// every text (system, messages, tool results) and every tool_use id byte for
// byte.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "providers/anthropic_inbound.hpp"
#include "providers/openai_chat.hpp"
#include "translation_checks.hpp"

namespace {

namespace json = boost::json;
constexpr const char* k_target = "anthropic_inbound_request_fuzz";

// Every text an Anthropic content value (a string or blocks) carries, and
// the ids of its tool_use / tool_result blocks.
void check_content(const json::value& content, const std::string& strings) {
  using llmgw::fuzz::check_kept;
  if (content.is_string()) {
    check_kept(k_target, strings, content.get_string(), "a text was changed or lost");
    return;
  }
  if (!content.is_array()) return;
  for (const auto& b : content.get_array()) {
    if (!b.is_object()) continue;
    const auto& o = b.get_object();
    const auto* type = o.if_contains("type");
    if (type == nullptr || !type->is_string()) continue;
    const auto field = [&o](std::string_view k) -> const json::value* { return o.if_contains(k); };
    if (type->get_string() == "text" && field("text") && field("text")->is_string())
      check_kept(k_target, strings, field("text")->get_string(), "a text block was changed or lost");
    if (type->get_string() == "tool_use" && field("id") && field("id")->is_string())
      check_kept(k_target, strings, field("id")->get_string(), "a tool_use id was lost");
    if (type->get_string() == "tool_result") {
      if (field("tool_use_id") && field("tool_use_id")->is_string())
        check_kept(k_target, strings, field("tool_use_id")->get_string(), "a tool_result id was lost");
      if (field("content")) check_content(*field("content"), strings);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace llmgw;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto request = providers::read_messages_request(body);
  if (!request) {
    fuzz::check(request.error().status == 400, k_target, "a refused request must be a 400");
    return 0;
  }
  const auto openai = providers::messages_to_openai(*request, "fuzz-model");
  if (!openai) {
    fuzz::check(openai.error().status >= 400 && openai.error().status < 500, k_target,
                "an untranslatable request must be the client's error");
    return 0;
  }
  const std::string strings = fuzz::strings_of_object(k_target, *openai);
  fuzz::check(providers::parse_chat_request(*openai).has_value(), k_target,
              "the translation is not a request the adapters can read");
  const json::value& doc = *request->doc;
  if (!doc.is_object()) return 0;
  if (const auto* system = doc.get_object().if_contains("system")) check_content(*system, strings);
  if (const auto* messages = doc.get_object().if_contains("messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      if (m.is_object() && m.get_object().if_contains("content")) check_content(m.get_object().at("content"), strings);
    }
  }
  return 0;
}
