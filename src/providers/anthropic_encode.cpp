// OpenAI chat request → Anthropic Messages request.
#include <boost/json.hpp>

#include <algorithm>
#include <string>

#include "providers/anthropic.hpp"
#include "providers/anthropic_models.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

using encode_result = boost::system::result<upstream_request, gateway_error>;

// Anthropic tool names: ^[a-zA-Z0-9_-]{1,64}$.
constexpr std::size_t k_max_tool_name = 64;

json::object text_block(std::string_view text) { return json::object{{"type", "text"}, {"text", text}}; }

json::object image_block(const image_ref& img) {
  json::object source;
  if (img.is_data()) {
    source = json::object{{"type", "base64"}, {"media_type", img.media_type}, {"data", img.data}};
  } else {
    source = json::object{{"type", "url"}, {"url", img.url}};
  }
  return json::object{{"type", "image"}, {"source", std::move(source)}};
}

// Anthropic refuses empty text blocks, so empty parts are left out.
void append_parts(const std::vector<content_part>& parts, json::array& blocks) {
  for (const auto& p : parts) {
    if (p.type == content_part::kind::image) {
      blocks.push_back(image_block(p.image));
    } else if (!p.text.empty()) {
      blocks.push_back(text_block(p.text));
    }
  }
}

std::string at_message(std::size_t i) { return "messages[" + std::to_string(i) + "]"; }

std::optional<gateway_error> append_tool_uses(const chat_message& m, std::size_t i, json::array& blocks) {
  for (std::size_t j = 0; j < m.tool_calls.size(); ++j) {
    const auto& call = m.tool_calls[j];
    json::value input = json::object();
    // Some clients send "" for a call without arguments.
    if (!call.arguments.empty()) {
      boost::system::error_code ec;
      input = json::parse(call.arguments, ec);
      if (ec || !input.is_object()) {
        const std::string param = at_message(i) + ".tool_calls[" + std::to_string(j) + "].function.arguments";
        return invalid_request("Invalid value for '" + param +
                                   "': the arguments must be a JSON object to be sent to Anthropic as tool input.",
                               param);
      }
    }
    blocks.push_back(
        json::object{{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", std::move(input)}});
  }
  return std::nullopt;
}

json::object tool_result_block(const chat_message& m) {
  json::object block{{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}};
  const bool has_image = std::any_of(m.parts.begin(), m.parts.end(),
                                     [](const content_part& p) { return p.type == content_part::kind::image; });
  if (has_image) {
    json::array content;
    append_parts(m.parts, content);
    block["content"] = std::move(content);
  } else if (auto text = m.text(); !text.empty()) {
    block["content"] = std::move(text);
  }
  return block;
}

// Anthropic wants tool results first in a user message; a client's text
// that came before them (rare ordering) moves behind them.
void tool_results_first(json::array& blocks) {
  std::stable_partition(blocks.begin(), blocks.end(), [](const json::value& b) {
    return b.is_object() && b.get_object().at("type") == "tool_result";
  });
}

struct turn {
  std::string role;
  json::array blocks;
};

// System and developer messages → `system`; the rest → alternating turns
// (Anthropic rejects two user or two assistant messages in a row, and tool
// results travel in user turns).
std::optional<gateway_error> build_conversation(const chat_request& r, json::array& system, std::vector<turn>& turns) {
  for (std::size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    if (m.role == "system" || m.role == "developer") {
      if (auto text = m.text(); !text.empty()) system.push_back(text_block(text));
      continue;
    }
    std::string role;
    json::array blocks;
    if (m.role == "user") {
      role = "user";
      append_parts(m.parts, blocks);
    } else if (m.role == "assistant") {
      role = "assistant";
      append_parts(m.parts, blocks);
      if (auto e = append_tool_uses(m, i, blocks)) return e;
    } else if (m.role == "tool") {
      role = "user";
      blocks.push_back(tool_result_block(m));
    } else {
      return invalid_request("Invalid value for '" + at_message(i) + ".role': '" + m.role +
                                 "' messages cannot be sent to Anthropic; use system, developer, user, assistant "
                                 "or tool.",
                             at_message(i) + ".role");
    }
    if (blocks.empty()) continue;  // e.g. an assistant turn with empty content: nothing to say
    if (!turns.empty() && turns.back().role == role) {
      for (auto& b : blocks) turns.back().blocks.push_back(std::move(b));
    } else {
      turns.push_back(turn{std::move(role), std::move(blocks)});
    }
  }
  for (auto& t : turns) {
    if (t.role == "user") tool_results_first(t.blocks);
  }
  return std::nullopt;
}

std::string answer_tool_name(const response_format& f) {
  std::string name(k_answer_tool_prefix);
  const std::string_view base =
      f.type == response_format::kind::json_schema ? std::string_view(f.schema_name) : std::string_view("json_object");
  for (char c : base) {
    if (name.size() == k_max_tool_name) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    name.push_back(ok ? c : '_');
  }
  return name;
}

json::object answer_tool(const response_format& f, const std::string& name) {
  std::string description = "Give your final answer by calling this tool: its input is the whole answer, ";
  if (f.type == response_format::kind::json_schema) {
    description.append("a JSON value matching the schema '").append(f.schema_name).append("'.");
  } else {
    description.append("a JSON object.");
  }
  json::value schema =
      f.type == response_format::kind::json_schema ? f.schema : json::value(json::object{{"type", "object"}});
  return json::object{{"name", name}, {"description", description}, {"input_schema", std::move(schema)}};
}

// tools and tool_choice, response_format's answer tool included.
std::optional<gateway_error> encode_tools(const chat_request& r, json::object& body) {
  json::array tools;
  for (std::size_t i = 0; i < r.tools.size(); ++i) {
    const auto& t = r.tools[i];
    if (is_answer_tool(t.name)) {
      const std::string param = "tools[" + std::to_string(i) + "].function.name";
      return invalid_request("Invalid value for '" + param + "': tool names starting with '" +
                                 std::string(k_answer_tool_prefix) + "' are reserved by the gateway.",
                             param);
    }
    json::object tool{{"name", t.name}};
    if (!t.description.empty()) tool["description"] = t.description;
    tool["input_schema"] = t.parameters;
    tools.push_back(std::move(tool));
  }

  json::object choice;
  switch (r.choice.kind) {
    case tool_choice::mode::unset:
      break;
    case tool_choice::mode::auto_:
      choice["type"] = "auto";
      break;
    case tool_choice::mode::required:
      choice["type"] = "any";
      break;
    case tool_choice::mode::named:
      choice = json::object{{"type", "tool"}, {"name", r.choice.name}};
      break;
    case tool_choice::mode::none:
      choice["type"] = "none";
      break;
  }

  if (r.format.type != response_format::kind::text) {
    const std::string name = answer_tool_name(r.format);
    if (r.choice.kind == tool_choice::mode::none || tools.empty()) {
      // No client tool may be called: the answer tool is the only way out.
      tools.clear();
      choice = json::object{{"type", "tool"}, {"name", name}};
    } else if (r.choice.kind != tool_choice::mode::named) {
      // Some tool must be called: a client tool, or the answer tool to finish.
      choice = json::object{{"type", "any"}};
    }
    tools.push_back(answer_tool(r.format, name));
  }

  if (tools.empty()) return std::nullopt;  // Anthropic refuses tool_choice without tools
  const auto* choice_type = choice.if_contains("type");
  const bool choice_none = choice_type && *choice_type == "none";
  if (r.parallel_tool_calls == false && !choice_none) {
    if (choice.empty()) choice["type"] = "auto";
    choice["disable_parallel_tool_use"] = true;
  }
  body["tools"] = std::move(tools);
  if (!choice.empty()) body["tool_choice"] = std::move(choice);
  return std::nullopt;
}

}  // namespace

encode_result encode_anthropic_messages(const chat_request& r, const vendor_endpoint& ep,
                                        const chat_encode_options& o) {
  const std::string_view model = o.vendor_model.empty() ? std::string_view(r.model) : o.vendor_model;

  json::array system;
  std::vector<turn> turns;
  if (auto e = build_conversation(r, system, turns)) return *e;

  json::object body;
  body["model"] = model;
  body["max_tokens"] = r.max_tokens ? *r.max_tokens : claude_max_output_tokens(model).value_or(o.default_max_tokens);
  if (!system.empty()) body["system"] = std::move(system);
  json::array messages;
  for (auto& t : turns) messages.push_back(json::object{{"role", t.role}, {"content", std::move(t.blocks)}});
  body["messages"] = std::move(messages);
  if (!r.stop.empty()) {
    json::array stops;
    for (const auto& s : r.stop) stops.push_back(json::string(s));
    body["stop_sequences"] = std::move(stops);
  }
  // Recent Claude models refuse temperature and top_p together, and many
  // OpenAI clients send both by default: temperature, the one clients tune,
  // is kept, and the request is answered instead of refused.
  const bool drop_top_p = r.temperature && r.top_p && claude_refuses_temperature_with_top_p(model);
  if (r.temperature) body["temperature"] = *r.temperature;
  if (r.top_p && !drop_top_p) body["top_p"] = *r.top_p;
  if (auto e = encode_tools(r, body)) return *e;
  if (!r.user.empty()) body["metadata"] = json::object{{"user_id", r.user}};
  if (o.stream) body["stream"] = true;

  upstream_request out;
  out.target = std::string(ep.base_path) + "/v1/messages";
  out.headers.emplace_back("x-api-key", std::string(ep.api_key));
  out.headers.emplace_back("anthropic-version",
                           std::string(ep.api_version.empty() ? k_anthropic_default_version : ep.api_version));
  out.body = json::serialize(body);
  if (drop_top_p) out.dropped_params.push_back("top_p");
  return out;
}

}  // namespace llmgw::providers
