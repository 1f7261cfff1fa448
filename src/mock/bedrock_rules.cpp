// Bedrock Converse's request rules. Each one cites where AWS documents the
// behaviour; the wording of each message is the one the API sends in its
// ValidationException
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
#include "mock/bedrock_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "mock/claude_models.hpp"

namespace llmgw::mock {

namespace {

namespace json = boost::json;

std::string_view string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

std::string_view role_of(const json::value& message) {
  return message.is_object() ? string_at(message.get_object(), "role") : std::string_view();
}

// The ids of the blocks of one kind ("toolUse" or "toolResult") in a
// message's content: [{"toolUse":{"toolUseId":…}}, …].
std::vector<std::string_view> block_ids(const json::value& message, std::string_view kind) {
  std::vector<std::string_view> ids;
  const auto* content = message.is_object() ? message.get_object().if_contains("content") : nullptr;
  if (!content || !content->is_array()) return ids;
  for (const auto& block : content->get_array()) {
    const auto* inner = block.is_object() ? block.get_object().if_contains(kind) : nullptr;
    if (inner && inner->is_object()) ids.push_back(string_at(inner->get_object(), "toolUseId"));
  }
  return ids;
}

std::string joined(const std::vector<std::string_view>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out.append(", ");
    out.append(id);
  }
  return out;
}

// A user turn's toolResult blocks answer the toolUse blocks of the
// assistant turn just before it, all of them and no others
// (https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolResultBlock.html).
std::optional<std::string> tool_pairing_violation(const json::array& messages) {
  for (std::size_t k = 0; k < messages.size(); ++k) {
    if (role_of(messages[k]) != "user") continue;
    const std::vector<std::string_view> asked =
        k > 0 ? block_ids(messages[k - 1], "toolUse") : std::vector<std::string_view>();
    const std::vector<std::string_view> results = block_ids(messages[k], "toolResult");
    const std::string at = "messages." + std::to_string(k) + ".content";
    if (results.size() > asked.size())
      return "The number of toolResult blocks at " + at + " exceeds the number of toolUse blocks of previous turn.";
    std::vector<std::string_view> unanswered;
    for (auto id : asked) {
      if (std::find(results.begin(), results.end(), id) == results.end()) unanswered.push_back(id);
    }
    if (!unanswered.empty())
      return "Expected toolResult blocks at " + at + " for the following Ids: " + joined(unanswered);
  }
  return std::nullopt;
}

// True when the model id (bare, or after a region prefix such as "us.")
// starts with one of `families`.
bool model_of(std::string_view model, std::initializer_list<std::string_view> families) {
  for (auto family : families) {
    const auto at = model.find(family);
    if (at != std::string_view::npos && (at == 0 || model[at - 1] == '.')) return true;
  }
  return false;
}

// Forcing a tool is for some models only: `tool` for Claude 3 and later and
// Nova, `any` for Claude 3 and later and Mistral Large
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolChoice.html).
std::optional<std::string> tool_choice_violation(const json::object& request, std::string_view model) {
  const auto* config = request.if_contains("toolConfig");
  const auto* choice = config && config->is_object() ? config->get_object().if_contains("toolChoice") : nullptr;
  if (!choice || !choice->is_object()) return std::nullopt;
  for (const auto& kv : choice->get_object()) {
    bool supported = true;
    if (kv.key() == "tool") supported = model_of(model, {"anthropic.claude-", "amazon.nova-"});
    if (kv.key() == "any") supported = model_of(model, {"anthropic.claude-", "mistral.mistral-large"});
    if (!supported) {
      const std::string field = "toolConfig.toolChoice." + std::string(kv.key());
      return "This model doesn't support the " + field + " field. Remove " + field + " and try again.";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> bedrock_rule_violation(std::string_view body, std::string_view model) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer);
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, &arena);
  if (ec || !root.is_object()) return std::nullopt;
  const auto& request = root.get_object();
  const auto* messages_value = request.if_contains("messages");
  if (!messages_value || !messages_value->is_array()) return std::nullopt;
  const auto& messages = messages_value->get_array();

  // A message's role is user or assistant
  // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html);
  // AWS's input validation counts list members from 1.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string_view role = role_of(messages[i]);
    if (role != "user" && role != "assistant") {
      return "1 validation error detected: Value '" + std::string(role) + "' at 'messages." + std::to_string(i + 1) +
             ".member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]";
    }
  }

  // Turns alternate between the user and the assistant
  // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html, `messages`).
  for (std::size_t i = 1; i < messages.size(); ++i) {
    if (role_of(messages[i]) == role_of(messages[i - 1])) {
      return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
             "between user and assistant roles and try again.";
    }
  }

  if (auto violation = tool_pairing_violation(messages)) return violation;

  // toolUse and toolResult blocks need a toolConfig, even when no tool is
  // offered any more
  // (https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html).
  const auto* config = request.if_contains("toolConfig");
  if (!config || !config->is_object()) {
    for (const auto& m : messages) {
      if (!block_ids(m, "toolUse").empty() || !block_ids(m, "toolResult").empty())
        return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
    }
  }

  if (auto violation = tool_choice_violation(request, model)) return violation;

  // Claude models that take temperature or topP but not both refuse them
  // on Bedrock too, in the model's own words
  // (https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4).
  if (const auto* inference = request.if_contains("inferenceConfig"); inference && inference->is_object()) {
    const auto& config = inference->get_object();
    if (config.contains("temperature") && config.contains("topP") && claude_takes_one_sampler(model))
      return "The model returned the following errors: " + std::string(k_one_sampler_message);
  }
  return std::nullopt;
}

}  // namespace llmgw::mock
