// Anthropic's request rules. Each one cites where Anthropic documents the
// behaviour; the wording of each message is the one the API sends (error
// shape: https://docs.anthropic.com/en/api/errors).
#include "mock/anthropic_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "mock/claude_models.hpp"

namespace llmgw::mock {

namespace {

namespace json = boost::json;

// The request body's top-level fields, per the Messages API reference
// (https://docs.anthropic.com/en/api/messages); anything else is refused
// as an extra input.
constexpr std::array<std::string_view, 19> k_top_level_fields = {"model",
                                                                 "messages",
                                                                 "max_tokens",
                                                                 "system",
                                                                 "metadata",
                                                                 "stop_sequences",
                                                                 "stream",
                                                                 "temperature",
                                                                 "top_p",
                                                                 "top_k",
                                                                 "tools",
                                                                 "tool_choice",
                                                                 "thinking",
                                                                 "service_tier",
                                                                 "container",
                                                                 "mcp_servers",
                                                                 "output_config",
                                                                 "output_format",
                                                                 "context_management"};

std::string_view string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// A null sampler counts as left out.
bool given(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && !v->is_null();
}

std::string_view block_type(const json::value& block) {
  return block.is_object() ? string_at(block.get_object(), "type") : std::string_view();
}

const json::array* content_blocks(const json::object& message) {
  const auto* content = message.if_contains("content");
  return content && content->is_array() ? &content->get_array() : nullptr;
}

// The ids of an assistant message's tool_use blocks (none for a user one).
std::vector<std::string_view> tool_use_ids(const json::object& message) {
  std::vector<std::string_view> ids;
  if (string_at(message, "role") != "assistant") return ids;
  if (const auto* blocks = content_blocks(message)) {
    for (const auto& b : *blocks) {
      if (block_type(b) == "tool_use") ids.push_back(string_at(b.get_object(), "id"));
    }
  }
  return ids;
}

bool contains(const std::vector<std::string_view>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string joined(const std::vector<std::string_view>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out.append(", ");
    out.append(id);
  }
  return out;
}

// Tool results answer the tool_use blocks of the message just before, and
// come first in their user message
// (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-results-from-client-tools).
std::optional<std::string> tool_pairing_violation(const json::array& messages) {
  for (std::size_t k = 0; k < messages.size(); ++k) {
    if (!messages[k].is_object()) continue;
    const auto& message = messages[k].get_object();
    const std::vector<std::string_view> asked = k > 0 && messages[k - 1].is_object()
                                                    ? tool_use_ids(messages[k - 1].get_object())
                                                    : std::vector<std::string_view>();
    std::vector<std::string_view> answered;  // the tool_result blocks that open the message
    if (string_at(message, "role") == "user") {
      if (const auto* blocks = content_blocks(message)) {
        bool leading = true;
        for (std::size_t j = 0; j < blocks->size(); ++j) {
          if (block_type((*blocks)[j]) != "tool_result") {
            leading = false;
            continue;
          }
          const std::string_view id = string_at((*blocks)[j].get_object(), "tool_use_id");
          if (!contains(asked, id)) {
            return "messages." + std::to_string(k) + ".content." + std::to_string(j) +
                   ": unexpected `tool_use_id` found in `tool_result` blocks: " + std::string(id) +
                   ". Each `tool_result` block must have a corresponding `tool_use` block in the previous message.";
          }
          if (leading) answered.push_back(id);
        }
      }
    }
    std::vector<std::string_view> unanswered;
    for (auto id : asked) {
      if (!contains(answered, id)) unanswered.push_back(id);
    }
    if (!unanswered.empty()) {
      return "messages." + std::to_string(k - 1) +
             ": `tool_use` ids were found without `tool_result` blocks immediately after: " + joined(unanswered) +
             ". Each `tool_use` block must have a corresponding `tool_result` block in the next message.";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> anthropic_rule_violation(std::string_view body) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer);
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, &arena);
  if (ec || !root.is_object()) return std::nullopt;
  const auto& request = root.get_object();

  // Unknown top-level fields (https://docs.anthropic.com/en/api/messages).
  for (const auto& kv : request) {
    if (std::find(k_top_level_fields.begin(), k_top_level_fields.end(), kv.key()) == k_top_level_fields.end())
      return std::string(kv.key()) + ": Extra inputs are not permitted";
  }

  const auto* messages = request.if_contains("messages");
  if (!messages || !messages->is_array()) return std::nullopt;
  // At least one message, each from the user or the assistant: system
  // prompts go in the top-level `system` (https://docs.anthropic.com/en/api/messages).
  if (messages->get_array().empty()) return "messages: at least one message is required";
  for (std::size_t i = 0; i < messages->get_array().size(); ++i) {
    const auto& m = messages->get_array()[i];
    const std::string_view role = m.is_object() ? string_at(m.get_object(), "role") : std::string_view();
    if (role != "user" && role != "assistant")
      return "messages." + std::to_string(i) + ".role: Input should be 'user' or 'assistant'";
  }

  const std::string_view model = string_at(request, "model");
  // max_tokens within the model's output limit
  // (https://docs.claude.com/en/docs/about-claude/models/overview).
  const auto* max_tokens = request.if_contains("max_tokens");
  if (const auto limit = claude_output_limit(model); limit && max_tokens && max_tokens->is_number()) {
    if (max_tokens->to_number<double>() > static_cast<double>(*limit)) {
      return "max_tokens: " + json::serialize(*max_tokens) + " > " + std::to_string(*limit) +
             ", which is the maximum allowed number of output tokens for " + std::string(model);
    }
  }

  // temperature or top_p, not both, on the models that say so
  // (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4).
  if (given(request, "temperature") && given(request, "top_p") && claude_takes_one_sampler(model))
    return std::string(k_one_sampler_message);

  return tool_pairing_violation(messages->get_array());
}

}  // namespace llmgw::mock
