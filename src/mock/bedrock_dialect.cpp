// The mock vendor speaking Bedrock's Converse API: SigV4-shaped
// Authorization headers (here the shape and access key id; the signature
// itself is verified by sigv4_check.cpp when the mock is given the secret),
// Converse request bodies with the model in the path,
// Converse responses, ConverseStream as real application/vnd.amazon.eventstream
// frames, and Bedrock's {"message":…} errors with the type in x-amzn-errortype.
#include <simdjson.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "core/append_number.hpp"
#include "core/eventstream.hpp"
#include "core/json_escape.hpp"
#include "mock/bedrock_rules.hpp"
#include "mock/dialect.hpp"
#include "mock/json_reading.hpp"
#include "mock/tool_calls.hpp"

namespace llmgw::mock {

namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view k_eventstream = "application/vnd.amazon.eventstream";
constexpr std::string_view k_signature_prefix = "AWS4-HMAC-SHA256 Credential=";

std::string_view stop_reason_for(std::string_view openai_finish_reason) {
  if (openai_finish_reason == "length") return "max_tokens";
  if (openai_finish_reason == "tool_calls") return "tool_use";
  if (openai_finish_reason == "content_filter") return "content_filtered";
  return "end_turn";
}

// Bedrock's error: {"message":…} with the exception name in x-amzn-errortype.
mock_error bedrock_error(int status, std::string_view type, std::string_view message) {
  mock_error e;
  e.status = status;
  e.body.append(R"({"message":)");
  append_json_string(e.body, message);
  e.body.push_back('}');
  e.headers.emplace_back("x-amzn-errortype", std::string(type));
  return e;
}

mock_error validation(std::string_view message) { return bedrock_error(400, "ValidationException", message); }

mock_error malformed() { return validation("Malformed input request, please reformat your input and try again."); }

mock_error missing(std::string_view member) {
  return validation("1 validation error detected: Value null at '" + std::string(member) +
                    "' failed to satisfy constraint: Member must not be null");
}

// Model ids arrive percent-encoded in the path ("…-v1%3A0").
std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// A user message made of tool results answers a tool call; it is not a new question.
bool holds_tool_results(std::string_view raw_content) {
  return raw_content.find("\"toolResult\"") != std::string_view::npos;
}

std::optional<mock_error> read_messages(od::value& v, chat_request_info& out) {
  od::array messages;
  if (v.get_array().get(messages)) return malformed();
  for (auto element : messages) {
    od::object message;
    if (element.get_object().get(message)) return malformed();
    bool is_user = false;
    std::string_view content;
    for (auto field_result : message) {
      od::field field;
      if (std::move(field_result).get(field)) return malformed();
      if (field.key() == "role") {
        std::string_view role;
        if (field.value().get_string().get(role)) return malformed();
        is_user = role == "user";
      } else if (field.key() == "content") {
        od::array blocks;
        if (field.value().get_array().get(blocks) || blocks.raw_json().get(content)) return malformed();
      }
    }
    const bool question = is_user && !holds_tool_results(content);
    out.last_message_is_user = question;
    if (question) out.last_user_content = content;
  }
  return std::nullopt;
}

// {"tools":[…],"toolChoice":{"auto":{}}|{"any":{}}|{"tool":{"name":…}}}
std::optional<mock_error> read_tool_config(od::value& v, chat_request_info& out) {
  od::object config;
  if (v.get_object().get(config)) return malformed();
  for (auto field_result : config) {
    od::field field;
    if (std::move(field_result).get(field)) return malformed();
    if (field.key() == "tools") {
      od::array tools;
      if (field.value().get_array().get(tools)) return malformed();
      for (auto tool : tools) {
        if (tool.error()) return malformed();
        out.has_tools = true;
      }
    } else if (field.key() == "toolChoice") {
      od::object choice;
      if (field.value().get_object().get(choice)) return malformed();
      for (auto choice_field : choice) {
        od::field kind;
        if (std::move(choice_field).get(kind)) return malformed();
        if (kind.key() == "any") {
          out.tool_choice_required = true;
        } else if (kind.key() == "tool") {
          od::object named;
          std::string_view name;
          if (kind.value().get_object().get(named) || named["name"].get_string().get(name))
            return missing("toolConfig.toolChoice.tool.name");
          out.forced_tool.assign(name);
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<mock_error> read_inference_config(od::value& v, chat_request_info& out) {
  od::object config;
  if (v.get_object().get(config)) return malformed();
  for (auto field_result : config) {
    od::field field;
    if (std::move(field_result).get(field)) return malformed();
    if (field.key() == "maxTokens") {
      std::uint64_t n = 0;
      if (field.value().get_uint64().get(n) || n == 0) {
        return validation("The maximum tokens you requested exceeds the model limit or is not a positive integer.");
      }
      out.max_tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
    }
  }
  return std::nullopt;
}

// The "p" member AWS pads stream events with (so their sizes say nothing
// about the text): a prefix of this alphabet, of varying length.
void append_padding(std::string& out, std::size_t n) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  out.append(R"("p":")");
  out.append(alphabet.substr(0, 1 + (n * 7) % (alphabet.size() - 1)));
  out.push_back('"');
}

class bedrock_stream_writer final : public stream_writer {
 public:
  explicit bedrock_stream_writer(const reply& r) : stop_reason_(stop_reason_for(r.finish_reason)), usage_(r.usage) {
    if (r.call) call_ = *r.call;
  }

  void begin(std::string& out) override {
    payload_.assign(1, '{');  // not assign("{"): GCC 12 warns falsely (-Wrestrict) at -O2
    append_padding(payload_, events_);
    payload_.append(R"(,"role":"assistant"})");
    event(out, "messageStart");
    if (call_) {
      payload_.assign(R"({"contentBlockIndex":0,)");
      append_padding(payload_, events_);
      payload_.append(R"(,"start":{"toolUse":{"name":)");
      append_json_string(payload_, call_->name);
      payload_.append(R"(,"toolUseId":)");
      append_json_string(payload_, call_->id);
      payload_.append("}}}");
      event(out, "contentBlockStart");
    }
  }

  void piece(std::string& out, std::string_view fragment) override {
    payload_.assign(call_ ? R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":)"
                          : R"({"contentBlockIndex":0,"delta":{"text":)");
    append_json_string(payload_, fragment);
    payload_.append(call_ ? "}}," : "},");
    append_padding(payload_, events_);
    payload_.push_back('}');
    event(out, "contentBlockDelta");
  }

  void end(std::string& out) override {
    payload_.assign(R"({"contentBlockIndex":0,)");
    append_padding(payload_, events_);
    payload_.push_back('}');
    event(out, "contentBlockStop");

    payload_.assign(1, '{');
    append_padding(payload_, events_);
    payload_.append(R"(,"stopReason":)");
    append_json_string(payload_, stop_reason_);
    payload_.push_back('}');
    event(out, "messageStop");

    payload_.assign(R"({"metrics":{"latencyMs":)");
    append_number(payload_, 20 + 5 * usage_.completion);
    payload_.append("},");
    append_padding(payload_, events_);
    payload_.append(R"(,"usage":{"inputTokens":)");
    append_number(payload_, usage_.uncached());
    payload_.append(R"(,"outputTokens":)");
    append_number(payload_, usage_.completion);
    if (usage_.cached + usage_.cache_write > 0) {
      payload_.append(R"(,"cacheReadInputTokens":)");
      append_number(payload_, usage_.cached);
      payload_.append(R"(,"cacheWriteInputTokens":)");
      append_number(payload_, usage_.cache_write);
    }
    payload_.append(R"(,"totalTokens":)");
    append_number(payload_, usage_.prompt + usage_.completion);
    payload_.append("}}");
    event(out, "metadata");
  }

 private:
  void event(std::string& out, std::string_view type) {
    eventstream::append_event_message(
        out, {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}}, payload_);
    ++events_;
  }

  std::string_view stop_reason_;  // one of the literals of stop_reason_for()
  usage_counts usage_;
  std::optional<tool_call> call_;
  std::string payload_;  // reused for every event
  std::size_t events_ = 0;
};

class bedrock final : public dialect {
 public:
  std::string_view name() const override { return "bedrock"; }

  void stream_error(std::string& out) const override {
    // An exception message in the event stream, as ConverseStream reports
    // failures after the response has begun.
    eventstream::append_event_message(out,
                                      {{":exception-type", "modelStreamErrorException"},
                                       {":content-type", "application/json"},
                                       {":message-type", "exception"}},
                                      R"({"message":"The model stream failed; try again.","originalStatusCode":503})");
  }

  std::size_t count_images(std::string_view body) const override { return count_occurrences(body, {R"("image":{)"}); }

  std::optional<mock_error> check_auth(const header_lookup& headers, std::string_view,
                                       std::string_view expected_key) const override {
    const std::string_view authorization = headers("authorization");
    if (authorization.empty())
      return bedrock_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    if (!authorization.starts_with(k_signature_prefix) ||
        authorization.find(", Signature=") == std::string_view::npos) {
      return bedrock_error(403, "IncompleteSignatureException",
                           "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
    }
    if (headers("x-amz-date").empty()) {
      return bedrock_error(403, "IncompleteSignatureException",
                           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    const std::string_view credential = authorization.substr(k_signature_prefix.size());
    const std::string_view access_key_id = credential.substr(0, credential.find('/'));
    if (!expected_key.empty() && access_key_id != expected_key) {
      return bedrock_error(403, "UnrecognizedClientException",
                           "The security token included in the request is invalid.");
    }
    return std::nullopt;
  }

  std::optional<mock_error> read_chat(std::string& body, std::string_view path_model, bool path_stream,
                                      chat_request_info& out) const override {
    if (path_model.empty()) return missing("modelId");
    out.model = percent_decoded(path_model);
    out.stream = path_stream;
    out.include_usage = false;  // Bedrock's metadata event always carries the usage
    od::document doc;
    if (thread_parser().iterate(padded(body)).get(doc)) return malformed();
    od::object root;
    if (doc.get_object().get(root)) return malformed();
    bool have_messages = false;
    for (auto field_result : root) {
      od::field field;
      if (std::move(field_result).get(field)) return malformed();
      const auto key = field.key();
      if (key == "messages") {
        if (auto e = read_messages(field.value(), out)) return e;
        have_messages = true;
      } else if (key == "toolConfig") {
        if (auto e = read_tool_config(field.value(), out)) return e;
      } else if (key == "inferenceConfig") {
        if (auto e = read_inference_config(field.value(), out)) return e;
      }
    }
    if (!have_messages) return missing("messages");
    if (auto message = bedrock_rule_violation(body, out.model)) return validation(*message);
    return std::nullopt;
  }

  std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) const override {
    namespace json = boost::json;
    boost::system::error_code ec;
    const auto root = json::parse(body, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const auto* config = root.get_object().if_contains("toolConfig");
    const auto* tools = config && config->is_object() ? config->get_object().if_contains("tools") : nullptr;
    if (!tools || !tools->is_array()) return std::nullopt;
    for (const auto& tool : tools->get_array()) {
      const auto* spec = tool.is_object() ? tool.get_object().if_contains("toolSpec") : nullptr;
      if (!spec || !spec->is_object()) continue;  // cachePoint entries and the like
      const auto* name = spec->get_object().if_contains("name");
      if (!name || !name->is_string()) continue;
      if (!wanted.empty() && name->get_string() != wanted) continue;
      tool_call call;
      call.id = "tooluse_" + new_tool_call_id().substr(5, 22);  // Bedrock ids: tooluse_ + 22 characters
      call.name = name->get_string();
      const json::value* schema = nullptr;
      if (const auto* input = spec->get_object().if_contains("inputSchema"); input && input->is_object())
        schema = input->get_object().if_contains("json");
      call.arguments = schema ? arguments_for_schema(json::serialize(*schema)) : "{}";
      return call;
    }
    return std::nullopt;
  }

  void render_reply(std::string& out, const reply& r) const override {
    out.append(R"({"metrics":{"latencyMs":)");
    append_number(out, 20 + 5 * r.usage.completion);
    out.append(R"(},"output":{"message":{"content":[)");
    if (r.call) {
      out.append(R"({"toolUse":{"input":)");
      out.append(arguments_or_empty_object(*r.call));
      out.append(R"(,"name":)");
      append_json_string(out, r.call->name);
      out.append(R"(,"toolUseId":)");
      append_json_string(out, r.call->id);
      out.append("}}");
    } else {
      out.append(R"({"text":)");
      append_json_string(out, r.text);
      out.push_back('}');
    }
    out.append(R"(],"role":"assistant"}},"stopReason":)");
    append_json_string(out, stop_reason_for(r.finish_reason));
    out.append(R"(,"usage":{"inputTokens":)");
    append_number(out, r.usage.uncached());
    out.append(R"(,"outputTokens":)");
    append_number(out, r.usage.completion);
    if (r.usage.cached + r.usage.cache_write > 0) {
      out.append(R"(,"cacheReadInputTokens":)");
      append_number(out, r.usage.cached);
      out.append(R"(,"cacheWriteInputTokens":)");
      append_number(out, r.usage.cache_write);
    }
    out.append(R"(,"totalTokens":)");
    append_number(out, r.usage.prompt + r.usage.completion);
    out.append("}}");
  }

  std::string_view stream_content_type() const override { return k_eventstream; }

  std::unique_ptr<stream_writer> stream(const reply& r) const override {
    return std::make_unique<bedrock_stream_writer>(r);
  }

  mock_error scripted_error(int status, std::string_view model) const override {
    switch (status) {
      case 400:
        return validation("The model returned the following errors: Input is too long for requested model.");
      case 403:
        return bedrock_error(403, "AccessDeniedException",
                             "You don't have access to the model with the specified model ID.");
      case 404:
        return bedrock_error(404, "ResourceNotFoundException",
                             "Could not resolve the foundation model from the provided model identifier" +
                                 (model.empty() ? std::string(".") : " " + std::string(model) + "."));
      case 408:
        return bedrock_error(408, "ModelTimeoutException", "Model has timed out in processing the request.");
      case 424:
        return bedrock_error(424, "ModelErrorException", "Received 500 from the model. Try your request again.");
      case 429:
        return bedrock_error(429, "ThrottlingException", "Too many requests, please wait before trying again.");
      case 500:
        return bedrock_error(500, "InternalServerException", "The server encountered an internal error.");
      case 503:
        return bedrock_error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.");
      default:
        return bedrock_error(status, status >= 500 ? "InternalServerException" : "ValidationException",
                             "Mock vendor scripted error with status " + std::to_string(status) + ".");
    }
  }

  mock_error invalid_request(std::string_view message) const override { return validation(message); }
};

}  // namespace

const dialect& bedrock_dialect() {
  static const bedrock instance;
  return instance;
}

}  // namespace llmgw::mock
