// OpenAI chat and embeddings requests → Gemini generateContent and
// batchEmbedContents requests; and the adapter object tying the Gemini files
// together.
#include <boost/json.hpp>

#include <array>
#include <optional>
#include <unordered_map>

#include "core/path_segment.hpp"
#include "providers/gemini.hpp"

namespace llmgw::providers {

namespace json = boost::json;

namespace gemini {

namespace {

// ---------------------------------------------------------------- schemas

// Keywords of Gemini's Schema object copied as they are; type, format,
// enum, nullable, properties, items and anyOf are rewritten below, and
// everything else in a JSON schema is refused by the API ("Invalid JSON
// payload received. Unknown name …").
constexpr std::array<std::string_view, 14> k_plain_keywords = {
    "title",     "description", "maxItems", "minItems", "minProperties",    "maxProperties", "minLength",
    "maxLength", "pattern",     "example",  "default",  "propertyOrdering", "minimum",       "maximum"};

bool is_plain_keyword(std::string_view key) {
  for (auto k : k_plain_keywords)
    if (k == key) return true;
  return false;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Gemini only knows these formats, per type; others are a 400.
bool format_allowed(std::string_view type, std::string_view format) {
  if (type == "STRING") return format == "enum" || format == "date-time";
  if (type == "INTEGER") return format == "int32" || format == "int64";
  if (type == "NUMBER") return format == "float" || format == "double";
  return false;
}

json::value clean(const json::value& schema, int depth);

json::object clean_object(const json::object& s, int depth) {
  json::object out;
  // type: a string, or a JSON-schema list such as ["string","null"].
  std::vector<std::string> types;
  bool nullable = false;
  if (const auto* t = s.if_contains("type")) {
    if (t->is_string()) {
      if (t->get_string() == "null") {
        nullable = true;
      } else {
        types.push_back(upper(t->get_string()));
      }
    } else if (t->is_array()) {
      for (const auto& e : t->get_array()) {
        if (!e.is_string()) continue;
        if (e.get_string() == "null") {
          nullable = true;
        } else {
          types.push_back(upper(e.get_string()));
        }
      }
    }
  }
  if (types.size() == 1) out["type"] = types.front();
  if (types.empty() && nullable) out["type"] = "NULL";
  if (types.size() > 1) {
    json::array any;
    for (const auto& t : types) any.push_back(json::object{{"type", t}});
    out["anyOf"] = std::move(any);
  }
  if (nullable && !types.empty()) out["nullable"] = true;

  for (const auto& kv : s) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key == "properties" && v.is_object()) {
      json::object props;
      for (const auto& p : v.get_object()) props[p.key()] = clean(p.value(), depth + 1);
      // An empty map is refused for OBJECT ("should be non-empty").
      if (!props.empty()) out["properties"] = std::move(props);
    } else if (key == "items") {
      out["items"] = clean(v, depth + 1);
    } else if ((key == "anyOf" || key == "oneOf") && v.is_array() && !out.contains("anyOf")) {
      // oneOf has no Gemini form; anyOf is the closest (looser) one.
      json::array any;
      for (const auto& e : v.get_array()) any.push_back(clean(e, depth + 1));
      if (!any.empty()) out["anyOf"] = std::move(any);
    } else if (key == "const" && v.is_string()) {
      out["enum"] = json::array{v};
    } else if (key == "enum") {
      // Gemini enums are strings only; a numeric enum would be refused.
      if (!v.is_array()) continue;
      bool strings = true;
      for (const auto& e : v.get_array()) strings = strings && e.is_string();
      if (strings) out["enum"] = v;
    } else if (key == "format" && v.is_string()) {
      const auto* type = out.if_contains("type");
      if (type && type->is_string() && format_allowed(type->get_string(), v.get_string())) out["format"] = v;
    } else if (key == "nullable") {
      if (v.is_bool() && v.get_bool()) out["nullable"] = true;
    } else if (key == "required") {
      if (v.is_array()) out["required"] = v;
    } else if (is_plain_keyword(key)) {
      out[key] = v;
    }
  }
  // enum belongs to STRING schemas only; elsewhere Gemini answers 400
  // "enum: only allowed for STRING type". An enum of strings without a type
  // (a JSON-schema const, or an untyped enum) is a string; under any other
  // type the enum goes.
  if (out.contains("enum")) {
    const auto* type = out.if_contains("type");
    if (!type && !out.contains("anyOf")) {
      out["type"] = "STRING";
    } else if (!type || *type != "STRING") {
      out.erase("enum");
    }
  }
  // "required" may only name declared properties.
  if (auto* req = out.if_contains("required"); req && req->is_array()) {
    const auto* props = out.if_contains("properties");
    json::array kept;
    for (const auto& name : req->get_array()) {
      if (name.is_string() && props && props->get_object().contains(name.get_string())) kept.push_back(name);
    }
    if (kept.empty()) {
      out.erase("required");
    } else {
      *req = std::move(kept);
    }
  }
  return out;
}

json::value clean(const json::value& schema, int depth) {
  // Schemas nested deeper than this are cut off rather than recursed into
  // without bound (the client controls the depth).
  if (depth > 32 || !schema.is_object()) return json::object{};
  return clean_object(schema.get_object(), depth);
}

bool has_properties(const json::value& schema) {
  const auto* p = schema.is_object() ? schema.get_object().if_contains("properties") : nullptr;
  return p && p->is_object() && !p->get_object().empty();
}

// ---------------------------------------------------------------- contents

// Image URLs that are not data URLs go as fileData; Gemini wants a MIME type
// with them and the URL's extension is all the gateway knows (it does not
// fetch anything), so unknown extensions are sent as image/jpeg.
std::string_view guess_image_type(std::string_view url) {
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  const auto dot = url.rfind('.');
  const auto slash = url.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "image/jpeg";
  std::string ext;
  for (char c : url.substr(dot + 1)) ext.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (ext == "png") return "image/png";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "heic") return "image/heic";
  if (ext == "heif") return "image/heif";
  return "image/jpeg";
}

json::object image_part(const image_ref& img) {
  if (img.is_data())
    return json::object{{"inlineData", json::object{{"mimeType", img.media_type}, {"data", img.data}}}};
  return json::object{{"fileData", json::object{{"mimeType", guess_image_type(img.url)}, {"fileUri", img.url}}}};
}

std::string at(std::size_t i, std::string_view rest) {
  return "messages[" + std::to_string(i) + "]" + std::string(rest);
}

// Appends `parts` to the last content when it has the same role (Gemini
// wants user and model turns to alternate), else starts a new content.
void add_content(json::array& contents, std::string_view role, json::array parts) {
  if (parts.empty()) return;
  if (!contents.empty()) {
    auto& last = contents.back().get_object();
    if (last.at("role").get_string() == role) {
      auto& into = last.at("parts").get_array();
      for (auto& p : parts) into.push_back(std::move(p));
      return;
    }
  }
  contents.push_back(json::object{{"role", role}, {"parts", std::move(parts)}});
}

struct built_messages {
  json::array system_parts;
  json::array contents;
};

// Gemini 3 refuses a replayed functionCall without the thoughtSignature it
// came with, and OpenAI's format has no place to carry one back. Google
// documents this sentinel for history the client could not keep signatures
// for; the model loses its earlier reasoning, not the call.
constexpr std::string_view k_skip_signature = "skip_thought_signature_validator";

bool needs_thought_signatures(std::string_view model) {
  if (model.starts_with("models/")) model.remove_prefix(7);
  return model.starts_with("gemini-3");
}

boost::system::result<built_messages, gateway_error> build_contents(const chat_request& r, bool sign_calls) {
  built_messages b;
  std::unordered_map<std::string, std::string> call_names;  // tool_call id → function name
  for (std::size_t i = 0; i < r.messages.size(); ++i) {
    const chat_message& m = r.messages[i];
    if (m.role == "system" || m.role == "developer") {
      const std::string text = m.text();
      if (!text.empty()) b.system_parts.push_back(json::object{{"text", text}});
    } else if (m.role == "user") {
      json::array parts;
      for (const auto& p : m.parts) {
        if (p.type == content_part::kind::image) {
          parts.push_back(image_part(p.image));
        } else if (!p.text.empty()) {
          parts.push_back(json::object{{"text", p.text}});
        }
      }
      add_content(b.contents, "user", std::move(parts));
    } else if (m.role == "assistant") {
      json::array parts;
      const std::string text = m.text();
      if (!text.empty()) parts.push_back(json::object{{"text", text}});
      for (std::size_t j = 0; j < m.tool_calls.size(); ++j) {
        const tool_call& c = m.tool_calls[j];
        json::value args = json::object{};
        if (!c.arguments.empty()) {
          boost::system::error_code ec;
          args = json::parse(c.arguments, ec);
          if (ec || !args.is_object())
            return invalid_request("The arguments of a tool call must be a JSON object to be sent to Gemini.",
                                   at(i, ".tool_calls[" + std::to_string(j) + "].function.arguments"));
        }
        if (!c.id.empty()) call_names[c.id] = c.name;
        json::object part{{"functionCall", json::object{{"name", c.name}, {"args", std::move(args)}}}};
        if (sign_calls) part["thoughtSignature"] = k_skip_signature;
        parts.push_back(std::move(part));
      }
      add_content(b.contents, "model", std::move(parts));
    } else if (m.role == "tool") {
      // Gemini matches a result to its call by function name, which OpenAI
      // only states on the assistant message that made the call.
      std::string name;
      if (auto it = call_names.find(m.tool_call_id); it != call_names.end()) name = it->second;
      if (name.empty()) name = m.name;
      if (name.empty())
        return invalid_request(
            "tool_call_id '" + m.tool_call_id + "' does not match a tool call of an earlier assistant message.",
            at(i, ".tool_call_id"));
      const std::string text = m.text();
      boost::system::error_code ec;
      json::value parsed = json::parse(text, ec);
      json::value response = !ec && parsed.is_object() ? std::move(parsed) : json::object{{"content", text}};
      json::array parts;
      parts.push_back(
          json::object{{"functionResponse", json::object{{"name", name}, {"response", std::move(response)}}}});
      add_content(b.contents, "user", std::move(parts));
    } else {
      return invalid_request("Role '" + m.role + "' cannot be sent to Gemini.", at(i, ".role"));
    }
  }
  return b;
}

// ---------------------------------------------------------------- request

json::object generation_config(const chat_request& r) {
  json::object g;
  if (r.temperature) g["temperature"] = *r.temperature;
  if (r.top_p) g["topP"] = *r.top_p;
  if (r.max_tokens) g["maxOutputTokens"] = *r.max_tokens;
  if (!r.stop.empty()) {
    json::array stops;
    for (const auto& s : r.stop) stops.push_back(json::string(s));
    g["stopSequences"] = std::move(stops);
  }
  if (r.seed) g["seed"] = *r.seed;
  if (r.presence_penalty) g["presencePenalty"] = *r.presence_penalty;
  if (r.frequency_penalty) g["frequencyPenalty"] = *r.frequency_penalty;
  if (r.format.type != response_format::kind::text) g["responseMimeType"] = "application/json";
  if (r.format.type == response_format::kind::json_schema) g["responseSchema"] = clean_schema(r.format.schema);
  return g;
}

json::object tool_config(const tool_choice& c) {
  json::object f;
  switch (c.kind) {
    case tool_choice::mode::auto_:
      f["mode"] = "AUTO";
      break;
    case tool_choice::mode::none:
      f["mode"] = "NONE";
      break;
    case tool_choice::mode::required:
      f["mode"] = "ANY";
      break;
    case tool_choice::mode::named:
      f["mode"] = "ANY";
      f["allowedFunctionNames"] = json::array{json::string(c.name)};
      break;
    case tool_choice::mode::unset:
      break;
  }
  return json::object{{"functionCallingConfig", std::move(f)}};
}

// The model as one path segment: "models/" prefixes are accepted (Google's
// own spelling), anything outside the unreserved set is percent-encoded.
std::string model_segment(std::string_view model) {
  if (model.starts_with("models/")) model.remove_prefix(7);
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : model) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 15]);
    }
  }
  return out;
}

// The model without Google's "models/" prefix must stay one path segment
// that is neither empty nor a dot segment, which encoding would keep.
std::optional<gateway_error> check_model(std::string_view model) {
  if (model.starts_with("models/")) model.remove_prefix(7);
  if (usable_in_path(model)) return std::nullopt;
  return invalid_request("Invalid 'model': a Gemini model id must not be empty, \".\" or \"..\".", "model");
}

std::string model_target(const vendor_endpoint& ep, std::string_view model, std::string_view method) {
  std::string t(ep.base_path);
  t.append("/models/");
  t.append(model_segment(model));
  t.push_back(':');
  t.append(method);
  return t;
}

}  // namespace

json::value clean_schema(const json::value& schema) { return clean(schema, 0); }

boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                   const vendor_endpoint& ep,
                                                                   const chat_encode_options& o) {
  if (auto bad = check_model(o.vendor_model)) return *bad;
  auto parsed = parse_chat_request(openai_body);
  if (parsed.has_error()) return parsed.error();
  const chat_request& r = *parsed;

  auto built = build_contents(r, needs_thought_signatures(o.vendor_model));
  if (built.has_error()) return built.error();

  json::object body;
  body["contents"] = std::move(built->contents);
  if (!built->system_parts.empty()) body["systemInstruction"] = json::object{{"parts", std::move(built->system_parts)}};
  if (!r.tools.empty()) {
    json::array declarations;
    for (const auto& t : r.tools) {
      json::object d{{"name", t.name}};
      if (!t.description.empty()) d["description"] = t.description;
      // A function without parameters must leave them out: an OBJECT
      // schema with no properties is refused.
      json::value params = clean_schema(t.parameters);
      if (has_properties(params)) d["parameters"] = std::move(params);
      declarations.push_back(std::move(d));
    }
    body["tools"] = json::array{json::object{{"functionDeclarations", std::move(declarations)}}};
  }
  if (r.choice.kind != tool_choice::mode::unset) body["toolConfig"] = tool_config(r.choice);
  if (auto g = generation_config(r); !g.empty()) body["generationConfig"] = std::move(g);

  upstream_request req;
  req.target = o.stream ? model_target(ep, o.vendor_model, "streamGenerateContent?alt=sse")
                        : model_target(ep, o.vendor_model, "generateContent");
  req.headers.emplace_back("x-goog-api-key", std::string(ep.api_key));
  req.body = json::serialize(body);
  return req;
}

boost::system::result<upstream_request, gateway_error> encode_embeddings(std::string_view openai_body,
                                                                         const vendor_endpoint& ep,
                                                                         std::string_view vendor_model) {
  if (auto bad = check_model(vendor_model)) return *bad;
  boost::system::error_code ec;
  json::value doc = json::parse(openai_body, ec);
  if (ec || !doc.is_object()) return invalid_request("The request body is not a JSON object.");
  const auto& o = doc.get_object();

  std::vector<std::string_view> inputs;
  const auto* input = o.if_contains("input");
  if (input && input->is_string()) {
    inputs.push_back(input->get_string());
  } else if (input && input->is_array()) {
    for (const auto& e : input->get_array()) {
      if (!e.is_string())
        return invalid_request("Gemini embeds text only: 'input' must be a string or an array of strings.", "input");
      inputs.push_back(e.get_string());
    }
  }
  if (inputs.empty()) return invalid_request("'input' must be a non-empty string or array of strings.", "input");

  std::optional<std::int64_t> dimensions;
  if (const auto* d = o.if_contains("dimensions"); d && d->is_int64()) dimensions = d->get_int64();
  if (const auto* d = o.if_contains("dimensions"); d && d->is_uint64())
    dimensions = static_cast<std::int64_t>(d->get_uint64());

  std::string model_name = "models/";
  model_name.append(vendor_model.starts_with("models/") ? vendor_model.substr(7) : vendor_model);
  json::array requests;
  for (auto text : inputs) {
    json::object r{{"model", model_name},
                   {"content", json::object{{"parts", json::array{json::object{{"text", text}}}}}}};
    if (dimensions) r["outputDimensionality"] = *dimensions;
    requests.push_back(std::move(r));
  }

  upstream_request req;
  req.target = model_target(ep, vendor_model, "batchEmbedContents");
  req.headers.emplace_back("x-goog-api-key", std::string(ep.api_key));
  req.body = json::serialize(json::object{{"requests", std::move(requests)}});
  return req;
}

}  // namespace gemini

namespace {

class gemini_adapter final : public provider {
 public:
  std::string_view name() const override { return "gemini"; }
  boost::system::result<upstream_request, gateway_error> encode_chat(std::string_view openai_body,
                                                                     const vendor_endpoint& ep,
                                                                     const chat_encode_options& o) const override {
    return gemini::encode_chat(openai_body, ep, o);
  }
  boost::system::result<std::string, gateway_error> decode_chat(std::string_view body, std::string_view requested_model,
                                                                token_usage* usage) const override {
    return gemini::decode_chat(body, requested_model, usage);
  }
  std::unique_ptr<stream_translator> translate_stream(const stream_options& o) const override {
    return gemini::make_stream_translator(o);
  }
  gateway_error decode_error(int status, std::string_view body) const override {
    return gemini::decode_error(status, body);
  }
  boost::system::result<upstream_request, gateway_error> encode_embeddings(
      std::string_view openai_body, const vendor_endpoint& ep, std::string_view vendor_model) const override {
    return gemini::encode_embeddings(openai_body, ep, vendor_model);
  }
  boost::system::result<std::string, gateway_error> decode_embeddings(std::string_view body,
                                                                      std::string_view requested_model,
                                                                      token_usage* usage) const override {
    return gemini::decode_embeddings(body, requested_model, usage);
  }
};

}  // namespace

const provider& gemini_provider() {
  static const gemini_adapter adapter;
  return adapter;
}

}  // namespace llmgw::providers
