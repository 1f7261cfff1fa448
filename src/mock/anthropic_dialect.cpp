// The mock vendor speaking Anthropic's Messages API: x-api-key auth,
// Messages request bodies, message objects, the named-event SSE stream and
// {"type":"error",…} bodies with Anthropic's statuses (529 overloaded).
#include <simdjson.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "core/request_id.hpp"
#include "mock/anthropic_rules.hpp"
#include "mock/dialect.hpp"
#include "mock/json_reading.hpp"
#include "mock/tool_calls.hpp"

namespace llmgw::mock {

namespace {

namespace od = simdjson::ondemand;

// "msg_01" + 22 characters of the completion's random id, so a reply's
// whole and streamed renderings agree without extra state.
std::string message_id(const completion_meta& m) {
  constexpr std::string_view openai_prefix = "chatcmpl-";
  std::string_view random = m.id;
  if (random.starts_with(openai_prefix)) random.remove_prefix(openai_prefix.size());
  return "msg_01" + std::string(random.substr(0, 22));
}

std::string_view stop_reason_for(std::string_view openai_finish_reason) {
  if (openai_finish_reason == "length") return "max_tokens";
  if (openai_finish_reason == "tool_calls") return "tool_use";
  return "end_turn";
}

// {"type":"error","error":{"type":…,"message":…},"request_id":…} and the
// request-id header Anthropic sends with it.
mock_error anthropic_error(int status, std::string_view type, std::string_view message) {
  const auto rid = request_id::generate();
  mock_error e;
  e.status = status;
  e.body.append(R"({"type":"error","error":{"type":)");
  append_json_string(e.body, type);
  e.body.append(R"(,"message":)");
  append_json_string(e.body, message);
  e.body.append(R"(},"request_id":)");
  append_json_string(e.body, rid.view());
  e.body.push_back('}');
  e.headers.emplace_back("request-id", rid.str());
  return e;
}

mock_error field_required(std::string_view field) {
  return anthropic_error(400, "invalid_request_error", std::string(field) + ": Field required");
}

mock_error wrong_type(std::string_view field, std::string_view expected) {
  return anthropic_error(400, "invalid_request_error",
                         std::string(field) + ": Input should be " + std::string(expected));
}

mock_error invalid_json() {
  return anthropic_error(400, "invalid_request_error", "There was an error parsing the body of your request.");
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// A user message made of tool results is the agent loop answering a tool
// call, not a new question: it must not count as "the user's message".
bool holds_tool_results(std::string_view raw_content) {
  return raw_content.find("\"tool_result\"") != std::string_view::npos;
}

std::optional<mock_error> read_messages(od::value& v, chat_request_info& out) {
  od::array messages;
  if (v.get_array().get(messages)) return wrong_type("messages", "a valid list");
  std::size_t i = 0;
  for (auto element : messages) {
    od::object message;
    if (element.get_object().get(message)) return wrong_type("messages." + std::to_string(i), "a valid dictionary");
    bool is_user = false;
    std::string_view content;
    for (auto field_result : message) {
      od::field field;
      if (std::move(field_result).get(field)) return invalid_json();
      if (field.key() == "role") {
        std::string_view role;
        if (field.value().get_string().get(role))
          return wrong_type("messages." + std::to_string(i) + ".role", "a string");
        is_user = role == "user";
      } else if (field.key() == "content") {
        od::json_type type;
        if (field.value().type().get(type)) return invalid_json();
        if (type == od::json_type::string) {
          content = trim_right(field.value().raw_json_token());
        } else if (type == od::json_type::array) {
          od::array parts;
          if (field.value().get_array().get(parts) || parts.raw_json().get(content)) return invalid_json();
        }
      }
    }
    const bool question = is_user && !holds_tool_results(content);
    out.last_message_is_user = question;
    if (question) out.last_user_content = content;
    ++i;
  }
  return std::nullopt;
}

// {"type":"auto"|"any"|"tool"|"none", "name":…}
std::optional<mock_error> read_tool_choice(od::value& v, chat_request_info& out) {
  od::object choice;
  if (v.get_object().get(choice)) return wrong_type("tool_choice", "a valid dictionary");
  std::string_view type;
  std::string_view name;
  for (auto field_result : choice) {
    od::field field;
    if (std::move(field_result).get(field)) return invalid_json();
    if (field.key() == "type" && field.value().get_string().get(type))
      return wrong_type("tool_choice.type", "a string");
    if (field.key() == "name" && field.value().get_string().get(name))
      return wrong_type("tool_choice.name", "a string");
  }
  out.tool_choice_required = type == "any";
  out.tool_choice_none = type == "none";
  if (type == "tool") {
    if (name.empty()) return field_required("tool_choice.name");
    out.forced_tool.assign(name);
  }
  return std::nullopt;
}

class anthropic_stream_writer final : public stream_writer {
 public:
  explicit anthropic_stream_writer(const reply& r)
      : id_(message_id(r.meta)), model_(r.meta.model), stop_reason_(stop_reason_for(r.finish_reason)), usage_(r.usage) {
    if (r.call) call_ = *r.call;
  }

  void begin(std::string& out) override {
    out.append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":");
    append_json_string(out, id_);
    out.append(R"(,"type":"message","role":"assistant","model":)");
    append_json_string(out, model_);
    out.append(R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)");
    append_number(out, usage_.uncached());
    out.append(R"(,"cache_creation_input_tokens":)");
    append_number(out, usage_.cache_write);
    out.append(R"(,"cache_read_input_tokens":)");
    append_number(out, usage_.cached);
    out.append(R"(,"output_tokens":1}}})");
    out.append(
        "\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":");
    if (call_) {
      out.append(R"({"type":"tool_use","id":)");
      append_json_string(out, call_->id);
      out.append(R"(,"name":)");
      append_json_string(out, call_->name);
      out.append(R"(,"input":{}}})");
    } else {
      out.append(R"({"type":"text","text":""}})");
    }
    out.append("\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n");
  }

  void piece(std::string& out, std::string_view fragment) override {
    out.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":");
    out.append(call_ ? R"({"type":"input_json_delta","partial_json":)" : R"({"type":"text_delta","text":)");
    append_json_string(out, fragment);
    out.append("}}\n\n");
  }

  void end(std::string& out) override {
    out.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    out.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
    append_json_string(out, stop_reason_);
    out.append(R"(,"stop_sequence":null},"usage":{"output_tokens":)");
    append_number(out, usage_.completion);
    out.append("}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  }

 private:
  std::string id_;
  std::string model_;
  std::string_view stop_reason_;  // one of the literals of stop_reason_for()
  usage_counts usage_;
  std::optional<tool_call> call_;
};

class anthropic final : public dialect {
 public:
  std::string_view name() const override { return "anthropic"; }

  void stream_error(std::string& out) const override {
    out.append(
        "event: error\ndata: "
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
  }

  std::size_t count_images(std::string_view body) const override {
    return count_occurrences(body, {R"("type":"image")"});
  }

  std::optional<mock_error> check_auth(const header_lookup& headers, std::string_view,
                                       std::string_view expected_key) const override {
    const auto key = headers("x-api-key");
    if (key.empty()) return anthropic_error(401, "authentication_error", "x-api-key header is required");
    if (!expected_key.empty() && key != expected_key)
      return anthropic_error(401, "authentication_error", "invalid x-api-key");
    if (headers("anthropic-version").empty())
      return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required");
    return std::nullopt;
  }

  std::optional<mock_error> read_chat(std::string& body, std::string_view, bool,
                                      chat_request_info& out) const override {
    od::document doc;
    if (thread_parser().iterate(padded(body)).get(doc)) return invalid_json();
    od::object root;
    if (doc.get_object().get(root)) return invalid_json();
    bool have_model = false;
    bool have_messages = false;
    for (auto field_result : root) {
      od::field field;
      if (std::move(field_result).get(field)) return invalid_json();
      const auto key = field.key();
      od::value& v = field.value();
      if (key == "model") {
        std::string_view model;
        if (v.get_string().get(model)) return wrong_type("model", "a valid string");
        out.model.assign(model);
        have_model = true;
      } else if (key == "messages") {
        if (auto e = read_messages(v, out)) return e;
        have_messages = true;
      } else if (key == "max_tokens") {
        std::uint64_t n = 0;
        if (v.get_uint64().get(n)) return wrong_type("max_tokens", "a valid integer");
        out.max_tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
      } else if (key == "stream") {
        if (v.get_bool().get(out.stream)) return wrong_type("stream", "a valid boolean");
      } else if (key == "tools") {
        od::array tools;
        if (v.get_array().get(tools)) return wrong_type("tools", "a valid list");
        for (auto tool : tools) {
          if (tool.error()) return invalid_json();
          out.has_tools = true;
        }
      } else if (key == "tool_choice") {
        if (auto e = read_tool_choice(v, out)) return e;
      }
    }
    if (!have_model) return field_required("model");
    if (!have_messages) return field_required("messages");
    if (!out.max_tokens) return field_required("max_tokens");
    if (auto message = anthropic_rule_violation(body)) return invalid_request(*message);
    // Anthropic's usage always comes with a stream: nothing to ask for.
    out.include_usage = false;
    return std::nullopt;
  }

  std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) const override {
    namespace json = boost::json;
    boost::system::error_code ec;
    const auto root = json::parse(body, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const auto* tools = root.get_object().if_contains("tools");
    if (!tools || !tools->is_array()) return std::nullopt;
    for (const auto& tool : tools->get_array()) {
      if (!tool.is_object()) continue;
      const auto& t = tool.get_object();
      // Server tools (web_search_…, bash_…) carry a versioned type; the
      // client's own tools have none or "custom".
      if (const auto* type = t.if_contains("type"); type && *type != "custom") continue;
      const auto* name = t.if_contains("name");
      if (!name || !name->is_string()) continue;
      if (!wanted.empty() && name->get_string() != wanted) continue;
      tool_call call;
      const std::string openai_id = new_tool_call_id();  // call_ + 24 random characters
      call.id = "toolu_01" + openai_id.substr(5, 22);
      call.name = name->get_string();
      const auto* schema = t.if_contains("input_schema");
      call.arguments = schema ? arguments_for_schema(json::serialize(*schema)) : "{}";
      return call;
    }
    return std::nullopt;
  }

  void render_reply(std::string& out, const reply& r) const override {
    out.append(R"({"id":)");
    append_json_string(out, message_id(r.meta));
    out.append(R"(,"type":"message","role":"assistant","model":)");
    append_json_string(out, r.meta.model);
    out.append(R"(,"content":[)");
    if (r.call) {
      out.append(R"({"type":"tool_use","id":)");
      append_json_string(out, r.call->id);
      out.append(R"(,"name":)");
      append_json_string(out, r.call->name);
      out.append(R"(,"input":)");
      out.append(arguments_or_empty_object(*r.call));
      out.push_back('}');
    } else {
      out.append(R"({"type":"text","text":)");
      append_json_string(out, r.text);
      out.push_back('}');
    }
    out.append(R"(],"stop_reason":)");
    append_json_string(out, stop_reason_for(r.finish_reason));
    out.append(R"(,"stop_sequence":null,"usage":{"input_tokens":)");
    append_number(out, r.usage.uncached());
    out.append(R"(,"cache_creation_input_tokens":)");
    append_number(out, r.usage.cache_write);
    out.append(R"(,"cache_read_input_tokens":)");
    append_number(out, r.usage.cached);
    out.append(R"(,"output_tokens":)");
    append_number(out, r.usage.completion);
    out.append("}}");
  }

  std::unique_ptr<stream_writer> stream(const reply& r) const override {
    return std::make_unique<anthropic_stream_writer>(r);
  }

  mock_error scripted_error(int status, std::string_view model) const override {
    switch (status) {
      case 400:
        return anthropic_error(400, "invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum");
      case 401:
        return anthropic_error(401, "authentication_error", "invalid x-api-key");
      case 403:
        return anthropic_error(403, "permission_error",
                               "Your API key does not have permission to use the specified resource.");
      case 404:
        return anthropic_error(404, "not_found_error", "model: " + std::string(model.empty() ? "claude-mock" : model));
      case 413:
        return anthropic_error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.");
      case 429: {
        auto e = anthropic_error(429, "rate_limit_error",
                                 "This request would exceed the rate limit for your organization of 50 requests per "
                                 "minute. Please try again later.");
        // A short retry-after so clients that honour it do not stall tests.
        e.headers.emplace_back("retry-after", "1");
        e.headers.emplace_back("anthropic-ratelimit-requests-limit", "50");
        e.headers.emplace_back("anthropic-ratelimit-requests-remaining", "0");
        return e;
      }
      case 500:
        return anthropic_error(500, "api_error", "Internal server error");
      case 529:
        return anthropic_error(529, "overloaded_error", "Overloaded");
      default:
        return anthropic_error(status, status >= 500 ? "api_error" : "invalid_request_error",
                               "Mock vendor scripted error with status " + std::to_string(status) + ".");
    }
  }

  mock_error invalid_request(std::string_view message) const override {
    return anthropic_error(400, "invalid_request_error", message);
  }
};

}  // namespace

const dialect& anthropic_dialect() {
  static const anthropic instance;
  return instance;
}

}  // namespace llmgw::mock
