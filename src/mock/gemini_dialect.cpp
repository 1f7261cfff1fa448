// The mock vendor speaking Gemini: x-goog-api-key (or ?key=) auth,
// GenerateContentRequest bodies, GenerateContentResponse replies, the
// alt=sse stream (one whole GenerateContentResponse per event, CRLF
// framed) and Google's {"error":{"code","message","status"}} bodies.
#include <simdjson.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "mock/embeddings.hpp"
#include "mock/gemini_dialect.hpp"
#include "mock/gemini_rules.hpp"
#include "mock/json_reading.hpp"
#include "mock/tool_calls.hpp"

namespace llmgw::mock {

namespace {

namespace od = simdjson::ondemand;
namespace json = boost::json;

constexpr std::string_view k_google_json = "application/json; charset=UTF-8";

// Google's error body, indented as Google sends it. `details` is the
// already-rendered inside of the "details" array, or empty.
mock_error google_error(int status, std::string_view message, std::string_view google_status,
                        std::string_view details = {}) {
  mock_error e;
  e.status = status;
  e.content_type = std::string(k_google_json);
  e.body.append("{\n  \"error\": {\n    \"code\": ");
  append_number(e.body, static_cast<std::uint64_t>(status));
  e.body.append(",\n    \"message\": ");
  append_json_string(e.body, message);
  e.body.append(",\n    \"status\": ");
  append_json_string(e.body, google_status);
  if (!details.empty()) {
    e.body.append(",\n    \"details\": [\n");
    e.body.append(details);
    e.body.append("\n    ]");
  }
  e.body.append("\n  }\n}\n");
  return e;
}

std::string_view google_status_for(int status) {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 500:
      return "INTERNAL";
    case 501:
      return "NOT_IMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

mock_error invalid_argument(std::string_view message) { return google_error(400, message, "INVALID_ARGUMENT"); }

mock_error invalid_json() { return invalid_argument("Invalid JSON payload received. Unexpected token."); }

mock_error missing_key() {
  return google_error(403,
                      "Method doesn't allow unregistered callers (callers without established identity). Please use "
                      "API Key or other form of API consumer identity to call this API.",
                      "PERMISSION_DENIED");
}

mock_error key_not_valid() {
  return google_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                      R"(      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {
          "service": "generativelanguage.googleapis.com"
        }
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "API key not valid. Please pass a valid API key."
      })");
}

// Google's JSON mapping of protobuf accepts both spellings of every field.
bool is_key(od::field& f, std::string_view camel, std::string_view snake) {
  return f.key() == camel || f.key() == snake;
}

// A user turn made only of functionResponse parts answers a tool call; it
// is not the user's question (the marker for a tool call must not repeat).
// `parts_raw` views the body, so simdjson's padding after it is readable.
bool holds_function_response(std::string_view parts_raw, const std::string& body) {
  const std::size_t room = body.capacity() - static_cast<std::size_t>(parts_raw.data() - body.data());
  thread_local od::parser parser;  // the request's own parser is still in use
  od::document doc;
  if (parser.iterate(simdjson::padded_string_view(parts_raw.data(), parts_raw.size(), room)).get(doc)) return false;
  od::array parts;
  if (doc.get_array().get(parts)) return false;
  for (auto element : parts) {
    od::object part;
    if (element.get_object().get(part)) return false;
    for (auto field_result : part) {
      od::field field;
      if (std::move(field_result).get(field)) return false;
      if (is_key(field, "functionResponse", "function_response")) return true;
    }
  }
  return false;
}

std::optional<mock_error> read_contents(od::value& v, std::string_view& last_role, std::string_view& last_parts,
                                        bool& any) {
  od::array contents;
  if (v.get_array().get(contents)) return invalid_argument("Invalid value at 'contents', expected a list.");
  for (auto element : contents) {
    od::object content;
    if (element.get_object().get(content))
      return invalid_argument("Invalid value at 'contents[]', expected an object.");
    any = true;
    last_role = "user";  // Gemini reads a missing role as the user's
    last_parts = {};
    for (auto field_result : content) {
      od::field field;
      if (std::move(field_result).get(field)) return invalid_json();
      if (field.key() == "role") {
        if (field.value().get_string().get(last_role)) return invalid_argument("Invalid value at 'contents[].role'.");
      } else if (field.key() == "parts") {
        od::array parts;
        if (field.value().get_array().get(parts) || parts.raw_json().get(last_parts)) return invalid_json();
      }
    }
  }
  return std::nullopt;
}

std::optional<mock_error> read_tool_config(od::value& v, chat_request_info& out) {
  od::object config;
  if (v.get_object().get(config)) return invalid_argument("Invalid value at 'tool_config'.");
  for (auto field_result : config) {
    od::field field;
    if (std::move(field_result).get(field)) return invalid_json();
    if (!is_key(field, "functionCallingConfig", "function_calling_config")) continue;
    od::object fcc;
    if (field.value().get_object().get(fcc))
      return invalid_argument("Invalid value at 'tool_config.function_calling_config'.");
    std::string_view mode;
    std::vector<std::string_view> allowed;
    for (auto inner_result : fcc) {
      od::field inner;
      if (std::move(inner_result).get(inner)) return invalid_json();
      if (inner.key() == "mode") {
        if (inner.value().get_string().get(mode))
          return invalid_argument("Invalid value at 'tool_config.function_calling_config.mode'.");
      } else if (is_key(inner, "allowedFunctionNames", "allowed_function_names")) {
        od::array names;
        if (inner.value().get_array().get(names)) return invalid_json();
        for (auto name : names) {
          std::string_view s;
          if (name.get_string().get(s)) return invalid_json();
          allowed.push_back(s);
        }
      }
    }
    out.tool_choice_none = mode == "NONE";
    if (mode == "ANY") {
      if (allowed.size() == 1) {
        out.forced_tool.assign(allowed.front());
      } else {
        out.tool_choice_required = true;
      }
    }
  }
  return std::nullopt;
}

// Gemini schemas spell types in capitals ("OBJECT"); the mock's argument
// maker reads JSON-schema spelling.
void lower_types(json::value& v) {
  if (v.is_array()) {
    for (auto& e : v.get_array()) lower_types(e);
    return;
  }
  if (!v.is_object()) return;
  for (auto& kv : v.get_object()) {
    if (kv.key() == "type" && kv.value().is_string()) {
      std::string t(kv.value().get_string());
      for (char& c : t)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      kv.value() = t;
    } else {
      lower_types(kv.value());
    }
  }
}

std::string_view finish_reason_for(std::string_view openai_finish_reason) {
  if (openai_finish_reason == "length") return "MAX_TOKENS";
  if (openai_finish_reason == "content_filter") return "SAFETY";
  return "STOP";
}

// ~22 characters, like Google's responseIds, from the completion's random id.
std::string response_id(const completion_meta& m) {
  constexpr std::string_view openai_prefix = "chatcmpl-";
  std::string_view random = m.id;
  if (random.starts_with(openai_prefix)) random.remove_prefix(openai_prefix.size());
  return std::string(random.substr(0, 22));
}

void append_function_call_part(std::string& out, const tool_call& call) {
  out.append(R"({"functionCall":{"name":)");
  append_json_string(out, call.name);
  out.append(R"(,"args":)");
  out.append(call.arguments.empty() ? std::string_view("{}") : std::string_view(call.arguments));
  out.append("}}");
}

void append_text_part(std::string& out, std::string_view text) {
  out.append(R"({"text":)");
  append_json_string(out, text);
  out.push_back('}');
}

// usageMetadata; streamed events before the last carry the prompt count only.
void append_usage(std::string& out, usage_counts u, bool final) {
  out.append(R"("usageMetadata":{"promptTokenCount":)");
  append_number(out, u.prompt);
  if (final) {
    out.append(R"(,"candidatesTokenCount":)");
    append_number(out, u.completion);
  }
  out.append(R"(,"totalTokenCount":)");
  append_number(out, final ? u.prompt + u.completion : u.prompt);
  if (u.cached > 0) {
    // Gemini counts a context-cache read inside promptTokenCount, and
    // reports no cache writes (its caches are created by a separate call).
    out.append(R"(,"cachedContentTokenCount":)");
    append_number(out, u.cached);
  }
  out.append(R"(,"promptTokensDetails":[{"modality":"TEXT","tokenCount":)");
  append_number(out, u.prompt);
  out.append("}]}");
}

// What every response of one reply ends with.
struct response_tail {
  std::string model;
  std::string id;

  void append(std::string& out) const {
    out.append(R"(,"modelVersion":)");
    append_json_string(out, model);
    out.append(R"(,"responseId":)");
    append_json_string(out, id);
    out.push_back('}');
  }
};

// {"candidates":[{"content":{"parts":[<parts>],"role":"model"},"finishReason":…,"index":0}],"usageMetadata":…
// `parts` empty: a candidate without content.
void append_response(std::string& out, std::string_view parts, std::string_view finish_reason, usage_counts u,
                     bool final, const response_tail& tail) {
  out.append(R"({"candidates":[{)");
  if (!parts.empty()) {
    out.append(R"("content":{"parts":[)");
    out.append(parts);
    out.append(R"(],"role":"model"},)");
  }
  if (!finish_reason.empty()) {
    out.append(R"("finishReason":)");
    append_json_string(out, finish_reason);
    out.push_back(',');
  }
  out.append(R"("index":0}],)");
  append_usage(out, u, final);
  tail.append(out);
}

// One SSE event: Google frames them with CRLF.
void append_event_start(std::string& out) { out.append("data: "); }
void append_event_end(std::string& out) { out.append("\r\n\r\n"); }

class gemini_stream_writer final : public stream_writer {
 public:
  explicit gemini_stream_writer(const reply& r)
      : tail_{r.meta.model, response_id(r.meta)}, finish_reason_(finish_reason_for(r.finish_reason)), usage_(r.usage) {
    if (r.call) call_ = *r.call;
  }

  // Gemini sends nothing before the first piece of the answer.
  void begin(std::string&) override {}

  void piece(std::string& out, std::string_view fragment) override {
    std::string parts;
    if (call_) {
      // Function calls come whole, in one event: the fragments add nothing.
      if (call_sent_) return;
      call_sent_ = true;
      append_function_call_part(parts, *call_);
    } else {
      append_text_part(parts, fragment);
    }
    append_event_start(out);
    append_response(out, parts, {}, usage_, false, tail_);
    append_event_end(out);
  }

  void end(std::string& out) override {
    std::string parts;
    if (call_ && !call_sent_) {
      append_function_call_part(parts, *call_);
    } else if (!call_) {
      append_text_part(parts, "");
    }
    append_event_start(out);
    append_response(out, parts, finish_reason_, usage_, true, tail_);
    append_event_end(out);
  }

 private:
  response_tail tail_;
  std::string_view finish_reason_;  // one of the literals of finish_reason_for()
  usage_counts usage_;
  std::optional<tool_call> call_;
  bool call_sent_ = false;
};

class gemini final : public dialect {
 public:
  std::string_view name() const override { return "gemini"; }

  void stream_error(std::string& out) const override {
    // Google ends a failing SSE stream with one event holding the error object.
    out.append(
        "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\","
        "\"status\":\"UNAVAILABLE\"}}\r\n\r\n");
  }

  std::size_t count_images(std::string_view body) const override {
    return count_occurrences(body, {R"("inlineData":)", R"("fileData":)"});
  }

  std::optional<mock_error> check_auth(const header_lookup& headers, std::string_view query,
                                       std::string_view expected_key) const override {
    std::string_view key = headers("x-goog-api-key");
    while (key.empty() && !query.empty()) {
      const auto amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      if (param.starts_with("key=")) key = param.substr(4);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    if (key.empty()) return missing_key();
    if (!expected_key.empty() && key != expected_key) return key_not_valid();
    return std::nullopt;
  }

  std::optional<mock_error> read_chat(std::string& body, std::string_view path_model, bool path_stream,
                                      chat_request_info& out) const override {
    if (path_model.empty()) return invalid_request("A model is required in the URL: models/{model}:generateContent.");
    out.model.assign(path_model);
    out.stream = path_stream;
    out.include_usage = false;  // Gemini's usage always comes with the stream
    od::document doc;
    if (thread_parser().iterate(padded(body)).get(doc)) return invalid_json();
    od::object root;
    if (doc.get_object().get(root)) return invalid_json();
    bool any_content = false;
    std::string_view last_role;
    std::string_view last_parts;
    for (auto field_result : root) {
      od::field field;
      if (std::move(field_result).get(field)) return invalid_json();
      od::value& v = field.value();
      if (field.key() == "contents") {
        if (auto e = read_contents(v, last_role, last_parts, any_content)) return e;
      } else if (field.key() == "tools") {
        od::array tools;
        if (v.get_array().get(tools)) return invalid_argument("Invalid value at 'tools', expected a list.");
        for (auto tool : tools) {
          od::object t;
          if (tool.get_object().get(t)) return invalid_json();
          for (auto tool_field : t) {
            od::field f;
            if (std::move(tool_field).get(f)) return invalid_json();
            if (!is_key(f, "functionDeclarations", "function_declarations")) continue;
            od::array declarations;
            if (f.value().get_array().get(declarations)) return invalid_json();
            for (auto d : declarations) {
              if (d.error()) return invalid_json();
              out.has_tools = true;
            }
          }
        }
      } else if (is_key(field, "toolConfig", "tool_config")) {
        if (auto e = read_tool_config(v, out)) return e;
      } else if (is_key(field, "generationConfig", "generation_config")) {
        od::object config;
        if (v.get_object().get(config)) return invalid_argument("Invalid value at 'generation_config'.");
        for (auto config_field : config) {
          od::field f;
          if (std::move(config_field).get(f)) return invalid_json();
          if (!is_key(f, "maxOutputTokens", "max_output_tokens")) continue;
          std::uint64_t n = 0;
          if (f.value().get_uint64().get(n))
            return invalid_argument("Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32).");
          out.max_tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
        }
      }
    }
    if (!any_content) return invalid_argument("* GenerateContentRequest.contents: contents is not specified\n");
    if (auto v = gemini_rule_violation(body)) return google_error(400, v->message, "INVALID_ARGUMENT", v->details);
    const bool question = last_role == "user" && !holds_function_response(last_parts, body);
    out.last_message_is_user = question;
    if (question) out.last_user_content = last_parts;
    return std::nullopt;
  }

  std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) const override {
    boost::system::error_code ec;
    const auto root = json::parse(body, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const auto* tools = root.get_object().if_contains("tools");
    if (!tools || !tools->is_array()) return std::nullopt;
    for (const auto& tool : tools->get_array()) {
      if (!tool.is_object()) continue;
      const auto* decls = tool.get_object().if_contains("functionDeclarations");
      if (!decls) decls = tool.get_object().if_contains("function_declarations");
      if (!decls || !decls->is_array()) continue;
      for (const auto& d : decls->get_array()) {
        if (!d.is_object()) continue;
        const auto& decl = d.get_object();
        const auto* name = decl.if_contains("name");
        if (!name || !name->is_string()) continue;
        if (!wanted.empty() && name->get_string() != wanted) continue;
        tool_call call;
        call.id = new_tool_call_id();  // Gemini has none; the gateway makes its own
        call.name = name->get_string();
        const json::value* schema = decl.if_contains("parameters");
        if (!schema) schema = decl.if_contains("parametersJsonSchema");
        if (schema) {
          json::value lowered = *schema;
          lower_types(lowered);
          call.arguments = arguments_for_schema(json::serialize(lowered));
        } else {
          call.arguments = "{}";
        }
        return call;
      }
    }
    return std::nullopt;
  }

  std::string_view content_type() const override { return k_google_json; }

  void render_reply(std::string& out, const reply& r) const override {
    std::string parts;
    if (r.call) {
      append_function_call_part(parts, *r.call);
    } else {
      append_text_part(parts, r.text);
    }
    append_response(out, parts, finish_reason_for(r.finish_reason), r.usage, true,
                    response_tail{r.meta.model, response_id(r.meta)});
  }

  std::unique_ptr<stream_writer> stream(const reply& r) const override {
    return std::make_unique<gemini_stream_writer>(r);
  }

  mock_error scripted_error(int status, std::string_view model) const override {
    if (model.empty()) model = "gemini-mock";
    switch (status) {
      case 400:
        return invalid_argument(
            "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).");
      case 401:
        return google_error(401,
                            "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                            "cookie or other valid authentication credential.",
                            "UNAUTHENTICATED");
      case 403:
        return google_error(403, "The caller does not have permission", "PERMISSION_DENIED");
      case 404:
        return google_error(404,
                            "models/" + std::string(model) +
                                " is not found for API version v1beta, or is not supported for generateContent. Call "
                                "ListModels to see the list of available models and their supported methods.",
                            "NOT_FOUND");
      case 429:
        // Google sends no retry-after header; the delay is in RetryInfo,
        // kept short so clients that honour it do not stall tests.
        return google_error(429,
                            "You exceeded your current quota, please check your plan and billing details. For more "
                            "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
                            "RESOURCE_EXHAUSTED", R"(      {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [
          {
            "description": "Learn more about Gemini API quotas",
            "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
          }
        ]
      },
      {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "1s"
      })");
      case 500:
        return google_error(500,
                            "An internal error has occurred. Please retry or report in "
                            "https://developers.generativeai.google/guide/troubleshooting",
                            "INTERNAL");
      case 503:
        return google_error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE");
      case 504:
        return google_error(504, "Deadline expired before operation could complete.", "DEADLINE_EXCEEDED");
      default:
        return google_error(status, "Mock vendor scripted error with status " + std::to_string(status) + ".",
                            google_status_for(status));
    }
  }

  mock_error invalid_request(std::string_view message) const override { return invalid_argument(message); }
};

std::size_t default_embedding_dimensions(std::string_view model) {
  return model.starts_with("gemini-embedding") ? 3072 : 768;
}

}  // namespace

const dialect& gemini_dialect() {
  static const gemini instance;
  return instance;
}

std::optional<mock_error> gemini_batch_embed(std::string_view body, std::string_view path_model, std::string& out) {
  boost::system::error_code ec;
  const auto root = json::parse(body, ec);
  if (ec || !root.is_object()) return invalid_json();
  const auto* requests = root.get_object().if_contains("requests");
  if (!requests || !requests->is_array() || requests->get_array().empty())
    return invalid_argument("* BatchEmbedContentsRequest.requests: requests is not specified\n");

  // Read every request before writing, so an error leaves `out` untouched.
  struct item {
    std::string text;
    std::size_t dimensions;
  };
  std::vector<item> items;
  const auto& list = requests->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "* BatchEmbedContentsRequest.requests[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return invalid_argument(at + ": expected an object\n");
    const auto& r = list[i].get_object();
    item it{{}, default_embedding_dimensions(path_model)};
    const auto* content = r.if_contains("content");
    const auto* parts = content && content->is_object() ? content->get_object().if_contains("parts") : nullptr;
    if (parts && parts->is_array()) {
      for (const auto& p : parts->get_array()) {
        const auto* text = p.is_object() ? p.get_object().if_contains("text") : nullptr;
        if (text && text->is_string()) it.text.append(text->get_string());
      }
    }
    if (it.text.empty()) return invalid_argument(at + ".content: contents is not specified\n");
    const auto* dims = r.if_contains("outputDimensionality");
    if (!dims) dims = r.if_contains("output_dimensionality");
    if (dims) {
      if (!dims->is_int64() || dims->get_int64() < 1 || dims->get_int64() > 8192)
        return invalid_argument(at + ".output_dimensionality: must be between 1 and 8192\n");
      it.dimensions = static_cast<std::size_t>(dims->get_int64());
    }
    items.push_back(std::move(it));
  }

  out.append(R"({"embeddings":[)");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out.append(R"({"values":)");
    append_embedding(out, items[i].text, items[i].dimensions, false);
    out.push_back('}');
  }
  out.append("]}");
  return std::nullopt;
}

}  // namespace llmgw::mock
