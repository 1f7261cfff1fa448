// A vendor's answer decoded into OpenAI's chat.completion (the first byte
// picks the vendor: Anthropic, Gemini, Bedrock): whatever the bytes, no
// crash, and an answer that decodes is one JSON object keeping every text
// block and every tool-call id of the vendor's answer byte for byte.
// Embeddings answers and error bodies are decoded from the same bytes for
// crashes only.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "providers/registry.hpp"
#include "translation_checks.hpp"

namespace {

namespace json = boost::json;
constexpr const char* k_target = "response_decode_fuzz";

const json::array* array_at(const json::value* v, std::string_view key) {
  if (v == nullptr || !v->is_object()) return nullptr;
  const auto* a = v->get_object().if_contains(key);
  return a != nullptr && a->is_array() ? &a->get_array() : nullptr;
}

std::string_view string_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const auto* s = v.get_object().if_contains(key);
  return s != nullptr && s->is_string() ? std::string_view(s->get_string()) : std::string_view{};
}

// The texts and tool-call ids the vendor's answer carries, in its own shape.
void vendor_contents(std::string_view vendor, const json::value& doc, std::vector<std::string_view>& texts,
                     std::vector<std::string_view>& ids) {
  const json::array* blocks = nullptr;
  if (vendor == "anthropic") {
    blocks = array_at(&doc, "content");
  } else if (vendor == "gemini") {
    const auto* candidates = array_at(&doc, "candidates");
    if (candidates != nullptr && !candidates->empty() && candidates->front().is_object()) {
      blocks = array_at(candidates->front().get_object().if_contains("content"), "parts");
    }
  } else {
    const auto* output = doc.is_object() ? doc.get_object().if_contains("output") : nullptr;
    blocks = array_at(output != nullptr && output->is_object() ? output->get_object().if_contains("message") : nullptr,
                      "content");
  }
  if (blocks == nullptr) return;
  for (const auto& b : *blocks) {
    if (!b.is_object()) continue;
    const auto& o = b.get_object();
    // Gemini's thought summaries are not answer text.
    if (const auto* thought = o.if_contains("thought"); thought != nullptr && thought->is_bool() && thought->get_bool())
      continue;
    if (vendor == "anthropic") {
      if (string_at(b, "type") == "text") texts.push_back(string_at(b, "text"));
      // A structured-output answer (the gateway's llmgw_json_* tool) becomes
      // the message content: its id goes, its input is the text.
      if (string_at(b, "type") == "tool_use" && !string_at(b, "name").starts_with("llmgw_json"))
        ids.push_back(string_at(b, "id"));
    } else if (vendor == "gemini") {
      texts.push_back(string_at(b, "text"));
    } else {
      texts.push_back(string_at(b, "text"));
      if (const auto* use = o.if_contains("toolUse")) ids.push_back(string_at(*use, "toolUseId"));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace llmgw;
  if (size == 0) return 0;
  static constexpr std::string_view k_vendors[] = {"anthropic", "gemini", "bedrock"};
  const std::string_view vendor = k_vendors[data[0] % 3];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const providers::provider* adapter = providers::find_adapter(vendor);
  fuzz::check(adapter != nullptr, k_target, "adapter missing");

  (void)adapter->decode_error(400 + data[0] % 200, body);
  token_usage embedding_usage;
  (void)adapter->decode_embeddings(body, "fuzz-model", &embedding_usage);

  token_usage usage;
  const auto decoded = adapter->decode_chat(body, "fuzz-model", &usage);
  if (!decoded) return 0;
  const std::string strings = fuzz::strings_of_object(k_target, *decoded);
  fuzz::check(usage.prompt_tokens >= 0 && usage.completion_tokens >= 0, k_target, "negative token counts");
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec) return 0;  // decoded from bytes boost::json refuses (simdjson is laxer): only the shape is checked
  std::vector<std::string_view> texts;
  std::vector<std::string_view> ids;
  vendor_contents(vendor, doc, texts, ids);
  for (auto t : texts) fuzz::check_kept(k_target, strings, t, "a text of the answer was changed or lost");
  for (auto id : ids) fuzz::check_kept(k_target, strings, id, "a tool-call id of the answer was lost");
  return 0;
}
