// Gemini's request rules, each citing where Google documents the behaviour;
// the wording of each message is the one the API sends. Google's error
// shape: https://ai.google.dev/gemini-api/docs/troubleshooting (400
// INVALID_ARGUMENT).
#include "mock/gemini_rules.hpp"

#include <boost/json.hpp>

#include <span>
#include <vector>

#include "core/json_escape.hpp"

namespace llmgw::mock {

namespace {

// "[inner]suffix", appended piece by piece: GCC 12 warns (-Wrestrict,
// wrongly) on "literal" + std::string.
std::string bracketed(std::string_view inner, std::string_view suffix = {}) {
  std::string out;
  out.reserve(inner.size() + suffix.size() + 2);
  out.append("[").append(inner).append("]").append(suffix);
  return out;
}

namespace json = boost::json;

// ------------------------------------------------- the request's messages
//
// Google reads JSON bodies into protobuf messages: a name that is no field
// of the message is refused ("Invalid JSON payload received. Unknown name
// …"), at any depth. The fields below are those of the v1beta reference
// (https://ai.google.dev/api/generate-content#request-body and the types it
// links: Content, Part, Tool, FunctionDeclaration, Schema, ToolConfig,
// SafetySetting, GenerationConfig). Free-form values (Struct, Value, JSON
// schemas) are not descended into.

struct message_spec;

struct field_spec {
  enum class shape { single, repeated, map };
  std::string_view name;                  // the proto name; JSON also takes its lowerCamel form
  const message_spec* message = nullptr;  // nullptr: a scalar, a list of scalars or a free-form value
  shape how = shape::single;
};

struct message_spec {
  std::span<const field_spec> fields;
  bool is_schema = false;  // Gemini's Schema: its enum is checked against its type
};

using shape = field_spec::shape;

extern const message_spec k_content, k_part, k_blob, k_file_data, k_function_call, k_function_response, k_tool,
    k_function_declaration, k_schema, k_tool_config, k_function_calling_config, k_safety_setting, k_generation_config,
    k_thinking_config;

const field_spec k_request_fields[] = {
    {"model"},
    {"contents", &k_content, shape::repeated},
    {"tools", &k_tool, shape::repeated},
    {"tool_config", &k_tool_config},
    {"safety_settings", &k_safety_setting, shape::repeated},
    {"system_instruction", &k_content},
    {"generation_config", &k_generation_config},
    {"cached_content"},
};
const message_spec k_request{k_request_fields};

const field_spec k_content_fields[] = {{"parts", &k_part, shape::repeated}, {"role"}};
const message_spec k_content{k_content_fields};

const field_spec k_part_fields[] = {
    {"text"},
    {"inline_data", &k_blob},
    {"function_call", &k_function_call},
    {"function_response", &k_function_response},
    {"file_data", &k_file_data},
    {"executable_code"},
    {"code_execution_result"},
    {"video_metadata"},
    {"thought"},
    {"thought_signature"},
    {"part_metadata"},
    {"media_resolution"},
};
const message_spec k_part{k_part_fields};

const field_spec k_blob_fields[] = {{"mime_type"}, {"data"}};
const message_spec k_blob{k_blob_fields};

const field_spec k_file_data_fields[] = {{"mime_type"}, {"file_uri"}};
const message_spec k_file_data{k_file_data_fields};

const field_spec k_function_call_fields[] = {{"id"}, {"name"}, {"args"}};
const message_spec k_function_call{k_function_call_fields};

const field_spec k_function_response_fields[] = {{"id"},    {"name"},          {"response"},
                                                 {"parts"}, {"will_continue"}, {"scheduling"}};
const message_spec k_function_response{k_function_response_fields};

const field_spec k_tool_fields[] = {
    {"function_declarations", &k_function_declaration, shape::repeated},
    {"google_search_retrieval"},
    {"code_execution"},
    {"google_search"},
    {"computer_use"},
    {"url_context"},
    {"file_search"},
    {"google_maps"},
};
const message_spec k_tool{k_tool_fields};

const field_spec k_function_declaration_fields[] = {
    {"name"},
    {"description"},
    {"behavior"},
    {"parameters", &k_schema},
    {"parameters_json_schema"},
    {"response", &k_schema},
    {"response_json_schema"},
};
const message_spec k_function_declaration{k_function_declaration_fields};

// No additionalProperties, const, $ref, oneOf…: Schema is a subset of
// OpenAPI's (https://ai.google.dev/api/caching#Schema).
const field_spec k_schema_fields[] = {
    {"type"},
    {"format"},
    {"title"},
    {"description"},
    {"nullable"},
    {"enum"},
    {"max_items"},
    {"min_items"},
    {"properties", &k_schema, shape::map},
    {"required"},
    {"min_properties"},
    {"max_properties"},
    {"min_length"},
    {"max_length"},
    {"pattern"},
    {"example"},
    {"any_of", &k_schema, shape::repeated},
    {"property_ordering"},
    {"default"},
    {"items", &k_schema},
    {"minimum"},
    {"maximum"},
};
const message_spec k_schema{k_schema_fields, true};

const field_spec k_tool_config_fields[] = {{"function_calling_config", &k_function_calling_config},
                                           {"retrieval_config"}};
const message_spec k_tool_config{k_tool_config_fields};

const field_spec k_function_calling_config_fields[] = {{"mode"}, {"allowed_function_names"}};
const message_spec k_function_calling_config{k_function_calling_config_fields};

const field_spec k_safety_setting_fields[] = {{"category"}, {"threshold"}};
const message_spec k_safety_setting{k_safety_setting_fields};

const field_spec k_generation_config_fields[] = {
    {"stop_sequences"},
    {"response_mime_type"},
    {"response_schema", &k_schema},
    {"response_json_schema"},
    {"response_modalities"},
    {"candidate_count"},
    {"max_output_tokens"},
    {"temperature"},
    {"top_p"},
    {"top_k"},
    {"seed"},
    {"presence_penalty"},
    {"frequency_penalty"},
    {"response_logprobs"},
    {"logprobs"},
    {"enable_enhanced_civic_answers"},
    {"speech_config"},
    {"thinking_config", &k_thinking_config},
    {"image_config"},
    {"media_resolution"},
};
const message_spec k_generation_config{k_generation_config_fields};

const field_spec k_thinking_config_fields[] = {{"include_thoughts"}, {"thinking_budget"}, {"thinking_level"}};
const message_spec k_thinking_config{k_thinking_config_fields};

// Google's JSON mapping takes a field by its proto name (max_items) or its
// lowerCamel form (maxItems).
bool names_field(std::string_view key, std::string_view proto_name) {
  if (key == proto_name) return true;
  std::size_t k = 0;
  for (std::size_t i = 0; i < proto_name.size(); ++i, ++k) {
    char expected = proto_name[i];
    if (expected == '_' && i + 1 < proto_name.size()) {
      ++i;
      expected = proto_name[i];
      if (expected >= 'a' && expected <= 'z') expected = static_cast<char>(expected - 'a' + 'A');
    }
    if (k >= key.size() || key[k] != expected) return false;
  }
  return k == key.size();
}

const field_spec* find_field(const message_spec& spec, std::string_view key) {
  for (const auto& f : spec.fields) {
    if (names_field(key, f.name)) return &f;
  }
  return nullptr;
}

bool is_string_type(const json::object& schema) {
  const auto* type = schema.if_contains("type");
  if (!type || !type->is_string()) return false;
  const std::string_view t = type->get_string();
  // Enum values are matched as Google's JSON mapping reads them: either case.
  return t == "STRING" || t == "string";
}

// Walks the request once: unknown names (a parse error, reported before
// anything else) and the Schema checks that come after parsing.
class walker {
 public:
  // `proto_path` names the object as parse errors do (snake_case fields,
  // map entries by position), `request_path` as the later checks do (map
  // entries by key). Both grow while descending and are restored after.
  void walk(const json::object& o, const message_spec& spec, std::string& proto_path, std::string& request_path) {
    for (const auto& kv : o) {
      const field_spec* f = find_field(spec, kv.key());
      if (!f) {
        unknown_name(kv.key(), proto_path);
        continue;
      }
      if (!f->message) continue;
      const std::size_t proto_size = proto_path.size();
      const std::size_t request_size = request_path.size();
      if (!proto_path.empty()) proto_path.push_back('.');
      proto_path.append(f->name);
      request_path.append(".").append(f->name);
      const json::value& v = kv.value();
      if (f->how == shape::single && v.is_object()) {
        walk(v.get_object(), *f->message, proto_path, request_path);
      } else if (f->how == shape::repeated && v.is_array()) {
        const auto& items = v.get_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (!items[i].is_object()) continue;
          const std::string at = bracketed(std::to_string(i));
          descend(items[i].get_object(), *f->message, proto_path, at, request_path, at);
        }
      } else if (f->how == shape::map && v.is_object()) {
        std::size_t n = 0;
        for (const auto& entry : v.get_object()) {
          if (entry.value().is_object()) {
            descend(entry.value().get_object(), *f->message, proto_path, bracketed(std::to_string(n), ".value"),
                    request_path, bracketed(entry.key()));
          }
          ++n;
        }
      }
      proto_path.resize(proto_size);
      request_path.resize(request_size);
    }
    // enum belongs to STRING schemas only (https://ai.google.dev/api/caching#Schema).
    if (spec.is_schema && o.contains("enum") && !is_string_type(o))
      checks_.append("* ").append(request_path).append(".enum: only allowed for STRING type\n");
  }

  bool any_unknown() const { return !unknown_.empty(); }

  gemini_violation unknown_names() const {
    gemini_violation v{unknown_,
                       "      {\n        \"@type\": \"type.googleapis.com/google.rpc.BadRequest\",\n"
                       "        \"fieldViolations\": [\n"};
    v.details.append(violations_);
    v.details.append("\n        ]\n      }");
    return v;
  }

  const std::string& checks() const { return checks_; }

 private:
  void descend(const json::object& o, const message_spec& spec, std::string& proto_path, std::string_view proto_step,
               std::string& request_path, std::string_view request_step) {
    const std::size_t proto_size = proto_path.size();
    const std::size_t request_size = request_path.size();
    proto_path.append(proto_step);
    request_path.append(request_step);
    walk(o, spec, proto_path, request_path);
    proto_path.resize(proto_size);
    request_path.resize(request_size);
  }

  void unknown_name(std::string_view name, const std::string& proto_path) {
    std::string message = "Invalid JSON payload received. Unknown name \"" + std::string(name) + "\"";
    if (!proto_path.empty()) message.append(" at '").append(proto_path).append("'");
    message.append(": Cannot find field.");

    if (!unknown_.empty()) {
      unknown_.push_back('\n');
      violations_.append(",\n");
    }
    unknown_.append(message);
    violations_.append("          {\n");
    if (!proto_path.empty()) {
      violations_.append("            \"field\": ");
      append_json_string(violations_, proto_path);
      violations_.append(",\n");
    }
    violations_.append("            \"description\": ");
    append_json_string(violations_, message);
    violations_.append("\n          }");
  }

  std::string unknown_;     // the messages, one per line
  std::string violations_;  // the rendered fieldViolations entries
  std::string checks_;      // "* …\n" lines of the checks after parsing
};

// A content's role is "user" or "model"
// (https://ai.google.dev/api/caching#Content).
bool has_invalid_role(const json::object& request) {
  const json::value* contents = nullptr;
  for (const auto& kv : request) {
    if (names_field(kv.key(), "contents")) contents = &kv.value();
  }
  if (!contents || !contents->is_array()) return false;
  for (const auto& c : contents->get_array()) {
    const auto* role = c.is_object() ? c.get_object().if_contains("role") : nullptr;
    if (!role || !role->is_string()) continue;
    const std::string_view r = role->get_string();
    if (!r.empty() && r != "user" && r != "model") return true;
  }
  return false;
}

}  // namespace

std::optional<gemini_violation> gemini_rule_violation(std::string_view body) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer);
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, &arena);
  if (ec || !root.is_object()) return std::nullopt;

  walker w;
  std::string proto_path;
  std::string request_path = "GenerateContentRequest";
  w.walk(root.get_object(), k_request, proto_path, request_path);
  if (w.any_unknown()) return w.unknown_names();
  if (has_invalid_role(root.get_object())) return gemini_violation{"Please use a valid role: user, model.", {}};
  if (!w.checks().empty()) return gemini_violation{w.checks(), {}};
  return std::nullopt;
}

}  // namespace llmgw::mock
