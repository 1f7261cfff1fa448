// An OpenAI chat request encoded for each vendor with its own format
// (Anthropic, Gemini, Bedrock): whatever the bytes, no crash, a 4xx for what
// cannot be sent, and for what can: one JSON object that keeps every text of
// the conversation and every tool-call id (Gemini has no tool-call ids) byte
// for byte.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "providers/openai_chat.hpp"
#include "providers/registry.hpp"
#include "translation_checks.hpp"

namespace {

constexpr const char* k_target = "chat_encode_fuzz";

llmgw::providers::vendor_endpoint test_endpoint() {
  llmgw::providers::vendor_endpoint e;
  e.host = "vendor.test";
  e.api_key = "k";
  e.aws_access_key_id = "AKIDFUZZ";
  e.aws_secret_access_key = "fuzz-secret";
  e.aws_region = "us-east-1";
  return e;
}

bool is_json_object(std::string_view text) {
  boost::system::error_code ec;
  return boost::json::parse(text, ec).is_object() && !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace llmgw;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto canonical = providers::parse_chat_request(body);
  const auto endpoint = test_endpoint();
  for (std::string_view vendor : {"anthropic", "gemini", "bedrock"}) {
    const providers::provider* adapter = providers::find_adapter(vendor);
    fuzz::check(adapter != nullptr, k_target, "adapter missing");
    for (bool stream : {false, true}) {
      providers::chat_encode_options o;
      o.vendor_model = "fuzz-model";
      o.stream = stream;
      o.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
      const auto encoded = adapter->encode_chat(body, endpoint, o);
      if (!encoded) {
        fuzz::check(encoded.error().status >= 400 && encoded.error().status < 500, k_target,
                    "a request that cannot be sent must be the client's error");
        continue;
      }
      fuzz::check(canonical.has_value(), k_target, "encoded a request the canonical parser refuses");
      const std::string strings = fuzz::strings_of_object(k_target, encoded->body);
      const bool has_ids = vendor != "gemini";
      for (const auto& m : canonical->messages) {
        const bool tool = m.role == "tool";
        // A tool result that is a JSON object may be sent as that object
        // (Gemini's functionResponse, Bedrock's json block).
        if (!tool || !is_json_object(m.text())) {
          for (const auto& part : m.parts) {
            if (part.type == providers::content_part::kind::text)
              fuzz::check_kept(k_target, strings, part.text, "a text of the conversation was changed or lost");
          }
        }
        if (!has_ids) continue;
        if (m.role == "assistant") {
          for (const auto& call : m.tool_calls) fuzz::check_kept(k_target, strings, call.id, "a tool-call id was lost");
        }
        if (tool) fuzz::check_kept(k_target, strings, m.tool_call_id, "a tool result's id was lost");
      }
    }
  }
  return 0;
}
