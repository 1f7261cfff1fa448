// OpenAI chat request → Bedrock Converse request, signed with SigV4.
#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/path_segment.hpp"
#include "providers/anthropic_models.hpp"
#include "providers/aws_sigv4.hpp"
#include "providers/bedrock.hpp"

namespace llmgw::providers {

namespace {

namespace json = boost::json;

std::string at_message(std::size_t i) { return "messages[" + std::to_string(i) + "]"; }

std::optional<std::string_view> image_format(std::string_view media_type) {
  if (media_type == "image/png") return "png";
  if (media_type == "image/jpeg" || media_type == "image/jpg") return "jpeg";
  if (media_type == "image/gif") return "gif";
  if (media_type == "image/webp") return "webp";
  return std::nullopt;
}

json::object text_block(std::string_view text) { return json::object{{"text", text}}; }

// Converse wants strictly alternating roles; the OpenAI history may repeat
// a role (several tool results, a tool result then a user turn), so blocks
// of consecutive same-role messages are merged into one message.
class message_list {
 public:
  void add(std::string_view role, json::array blocks) {
    if (blocks.empty()) return;
    if (!messages_.empty() && last_role_ == role) {
      auto& content = messages_.back().as_object()["content"].as_array();
      for (auto& b : blocks) content.push_back(std::move(b));
      return;
    }
    messages_.push_back(json::object{{"role", role}, {"content", std::move(blocks)}});
    last_role_ = role;
  }
  json::array take() { return std::move(messages_); }

 private:
  json::array messages_;
  std::string last_role_;
};

struct history_tools {
  bool any = false;                // a toolUse or toolResult block was written
  std::vector<std::string> names;  // tool names the assistant called, first use first
};

boost::system::result<json::array, gateway_error> user_blocks(const chat_message& m, std::size_t i) {
  json::array blocks;
  for (std::size_t p = 0; p < m.parts.size(); ++p) {
    const auto& part = m.parts[p];
    if (part.type == content_part::kind::text) {
      if (!part.text.empty()) blocks.push_back(text_block(part.text));
      continue;
    }
    const std::string param = at_message(i) + ".content[" + std::to_string(p) + "].image_url.url";
    if (!part.image.is_data()) {
      return invalid_request(
          "Bedrock takes images as bytes, not URLs: send the image as a base64 data URL "
          "(data:image/png;base64,...).",
          param);
    }
    const auto format = image_format(part.image.media_type);
    if (!format) {
      return invalid_request("Bedrock accepts png, jpeg, gif and webp images, not " + part.image.media_type + ".",
                             param);
    }
    blocks.push_back(json::object{
        {"image", json::object{{"format", *format}, {"source", json::object{{"bytes", part.image.data}}}}}});
  }
  return blocks;
}

boost::system::result<json::array, gateway_error> assistant_blocks(const chat_message& m, std::size_t i,
                                                                   history_tools& tools) {
  json::array blocks;
  for (const auto& part : m.parts) {
    if (part.type == content_part::kind::text && !part.text.empty()) blocks.push_back(text_block(part.text));
  }
  for (std::size_t c = 0; c < m.tool_calls.size(); ++c) {
    const auto& call = m.tool_calls[c];
    const std::string at = at_message(i) + ".tool_calls[" + std::to_string(c) + "]";
    if (call.id.empty()) return invalid_request("Bedrock needs an id for every tool call.", at + ".id");
    json::value input = json::object{};
    if (!call.arguments.empty()) {
      boost::system::error_code ec;
      input = json::parse(call.arguments, ec);
      if (ec) return invalid_request("Tool call arguments must be a JSON text.", at + ".function.arguments");
    }
    blocks.push_back(json::object{
        {"toolUse", json::object{{"toolUseId", call.id}, {"name", call.name}, {"input", std::move(input)}}}});
    tools.any = true;
    if (std::find(tools.names.begin(), tools.names.end(), call.name) == tools.names.end())
      tools.names.push_back(call.name);
  }
  return blocks;
}

// A JSON object result travels as {json}, anything else as {text}.
json::array tool_result_content(const chat_message& m) {
  const std::string text = m.text();
  json::array content;
  if (text.empty()) return content;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (!ec && parsed.is_object()) {
    content.push_back(json::object{{"json", std::move(parsed)}});
  } else {
    content.push_back(text_block(text));
  }
  return content;
}

json::object tool_spec(std::string_view name, std::string_view description, json::value schema) {
  json::object spec{{"name", name}};
  if (!description.empty()) spec["description"] = description;  // Converse refuses an empty one
  spec["inputSchema"] = json::object{{"json", std::move(schema)}};
  return json::object{{"toolSpec", std::move(spec)}};
}

std::optional<json::object> tool_config(const chat_request& r, const history_tools& history) {
  const bool none = r.choice.kind == tool_choice::mode::none;
  json::array tools;
  if (!r.tools.empty() && (!none || history.any)) {
    for (const auto& t : r.tools) tools.push_back(tool_spec(t.name, t.description, t.parameters));
  } else if (r.tools.empty() && history.any) {
    for (const auto& name : history.names)
      tools.push_back(tool_spec(name, {}, json::object{{"type", "object"}, {"properties", json::object{}}}));
  }
  if (tools.empty()) return std::nullopt;
  json::object config{{"tools", std::move(tools)}};
  if (!r.tools.empty()) {
    switch (r.choice.kind) {
      case tool_choice::mode::auto_:
        config["toolChoice"] = json::object{{"auto", json::object{}}};
        break;
      case tool_choice::mode::required:
        config["toolChoice"] = json::object{{"any", json::object{}}};
        break;
      case tool_choice::mode::named:
        config["toolChoice"] = json::object{{"tool", json::object{{"name", r.choice.name}}}};
        break;
      case tool_choice::mode::none:
      case tool_choice::mode::unset:
        break;
    }
  }
  return config;
}

// `drop_top_p`: leave topP out (Claude models that refuse it beside temperature).
boost::system::result<std::string, gateway_error> converse_body(const chat_request& r, bool drop_top_p) {
  json::array system;
  message_list messages;
  history_tools history;
  for (std::size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    if (m.role == "system" || m.role == "developer") {
      const std::string text = m.text();
      if (!text.empty()) system.push_back(text_block(text));
    } else if (m.role == "user") {
      auto blocks = user_blocks(m, i);
      if (!blocks) return blocks.error();
      messages.add("user", std::move(*blocks));
    } else if (m.role == "assistant") {
      auto blocks = assistant_blocks(m, i, history);
      if (!blocks) return blocks.error();
      messages.add("assistant", std::move(*blocks));
    } else if (m.role == "tool") {
      json::array blocks;
      blocks.push_back(json::object{
          {"toolResult", json::object{{"toolUseId", m.tool_call_id}, {"content", tool_result_content(m)}}}});
      history.any = true;
      messages.add("user", std::move(blocks));
    } else {
      return invalid_request("Bedrock cannot take a message with role '" + m.role + "'.", at_message(i) + ".role");
    }
  }

  json::object body;
  body["messages"] = messages.take();
  if (!system.empty()) body["system"] = std::move(system);
  json::object inference;
  if (r.max_tokens) inference["maxTokens"] = *r.max_tokens;
  if (r.temperature) inference["temperature"] = *r.temperature;
  if (r.top_p && !drop_top_p) inference["topP"] = *r.top_p;
  if (!r.stop.empty()) {
    json::array stops;
    for (const auto& s : r.stop) stops.push_back(json::string(s));
    inference["stopSequences"] = std::move(stops);
  }
  if (!inference.empty()) body["inferenceConfig"] = std::move(inference);
  if (auto config = tool_config(r, history)) body["toolConfig"] = std::move(*config);
  return json::serialize(body);
}

}  // namespace

boost::system::result<upstream_request, gateway_error> encode_bedrock_converse(const chat_request& r,
                                                                               const vendor_endpoint& ep,
                                                                               const chat_encode_options& o) {
  if (ep.host.empty() || ep.aws_region.empty() || ep.aws_access_key_id.empty() || ep.aws_secret_access_key.empty()) {
    return internal_error("The Bedrock deployment needs a host, an AWS region and AWS credentials.");
  }
  const std::string_view model = o.vendor_model.empty() ? std::string_view(r.model) : o.vendor_model;
  if (model.empty()) return invalid_request("A model is required.", "model");
  // Encoded into one segment below, but "." and ".." would stay as they are.
  if (!usable_in_path(model))
    return invalid_request("Invalid 'model': a Bedrock model id must not be \".\" or \"..\".", "model");

  // Claude on Bedrock refuses temperature and topP together as it does on
  // Anthropic's API: temperature is kept (see encode_anthropic_messages).
  const bool drop_top_p = r.temperature && r.top_p && claude_refuses_temperature_with_top_p(model);
  auto body = converse_body(r, drop_top_p);
  if (!body) return body.error();

  upstream_request out;
  if (drop_top_p) out.dropped_params.push_back("top_p");
  out.target.append(ep.base_path).append("/model/").append(aws::uri_encode(model, false));
  out.target.append(o.stream ? "/converse-stream" : "/converse");
  out.body = std::move(*body);

  // Only what the caller sends unchanged is signed: host and our own headers.
  const std::string date = aws::amz_date(o.now);
  aws::signing_request s;
  s.method = "POST";
  s.path = out.target;
  s.headers = {{"host", std::string(ep.host)}, {"x-amz-date", date}};
  if (!ep.aws_session_token.empty()) s.headers.emplace_back("x-amz-security-token", std::string(ep.aws_session_token));
  s.payload = out.body;
  const aws::credentials c{ep.aws_access_key_id, ep.aws_secret_access_key, ep.aws_session_token};
  auto parts = aws::sign(s, c, ep.aws_region, k_bedrock_signing_service, date);

  out.headers.emplace_back("x-amz-date", date);
  if (!ep.aws_session_token.empty())
    out.headers.emplace_back("x-amz-security-token", std::string(ep.aws_session_token));
  out.headers.emplace_back("authorization", std::move(parts.authorization));
  return out;
}

}  // namespace llmgw::providers
