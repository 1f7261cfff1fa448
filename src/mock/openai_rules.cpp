// Chat Completions' request rules, each citing where OpenAI documents the
// behaviour; the message, param and code of each error are the ones the API
// sends.
#include "mock/openai_rules.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "mock/json_reading.hpp"

namespace llmgw::mock {

namespace {

namespace od = simdjson::ondemand;

// The message roles of the Chat Completions reference
// (https://platform.openai.com/docs/api-reference/chat/create, `messages`).
constexpr std::array<std::string_view, 6> k_roles = {"system", "developer", "user", "assistant", "tool", "function"};

mock_error invalid_request(std::string_view message, std::string_view param, std::string_view code) {
  return mock_error{400, render_error(message, "invalid_request_error", param, code)};
}

// What the rules need of one message. Views point into the parser's string
// buffer, valid while the document is read.
struct message_facts {
  std::string_view role;
  std::string_view tool_call_id;
  std::vector<std::string_view> call_ids;  // an assistant message's tool_calls[].id
  bool has_calls = false;
};

bool read_call_ids(od::value& v, message_facts& m) {
  bool null = false;
  if (v.is_null().get(null)) return false;
  if (null) return true;
  od::array calls;
  if (v.get_array().get(calls)) return false;
  for (auto element : calls) {
    od::object call;
    if (element.get_object().get(call)) return false;
    std::string_view id;
    if (call["id"].get_string().get(id)) id = {};
    m.call_ids.push_back(id);
    m.has_calls = true;
  }
  return true;
}

bool read_message(od::value element, message_facts& m) {
  od::object message;
  if (element.get_object().get(message)) return false;
  for (auto field_result : message) {
    od::field field;
    if (std::move(field_result).get(field)) return false;
    if (field.key() == "role") {
      if (field.value().get_string().get(m.role)) return false;
    } else if (field.key() == "tool_call_id") {
      if (field.value().get_string().get(m.tool_call_id)) m.tool_call_id = {};
    } else if (field.key() == "tool_calls") {
      if (!read_call_ids(field.value(), m)) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<mock_error> openai_rule_violation(std::string& body) {
  od::document doc;
  if (thread_parser().iterate(padded(body)).get(doc)) return std::nullopt;
  od::object root;
  if (doc.get_object().get(root)) return std::nullopt;
  od::array messages;
  if (root["messages"].get_array().get(messages)) return std::nullopt;

  // The tool calls that tool messages may answer: those of the last
  // assistant message, while only tool messages have followed it.
  std::vector<std::string_view> open_calls;
  bool answering = false;
  std::size_t i = 0;
  for (auto element : messages) {
    od::value v;
    if (element.get(v)) return std::nullopt;
    message_facts m;
    if (!read_message(v, m)) return std::nullopt;
    const std::string index = std::to_string(i);
    if (std::find(k_roles.begin(), k_roles.end(), m.role) == k_roles.end()) {
      return invalid_request("Invalid value: '" + std::string(m.role) +
                                 "'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and "
                                 "'developer'.",
                             "messages[" + index + "].role", "invalid_value");
    }
    if (m.role == "tool") {
      // A tool message answers a tool call of the assistant message before
      // it (https://platform.openai.com/docs/guides/function-calling).
      if (!answering) {
        return invalid_request(
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
            "'tool_calls'.",
            "messages.[" + index + "].role", {});
      }
      if (std::find(open_calls.begin(), open_calls.end(), m.tool_call_id) == open_calls.end()) {
        return invalid_request("Invalid parameter: 'tool_call_id' of '" + std::string(m.tool_call_id) +
                                   "' not found in 'tool_calls' of previous message.",
                               "messages.[" + index + "].tool_call_id", {});
      }
    } else {
      answering = m.role == "assistant" && m.has_calls;
      open_calls = std::move(m.call_ids);
    }
    ++i;
  }
  return std::nullopt;
}

}  // namespace llmgw::mock
