#include "providers/openai_chat.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <chrono>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "core/request_id.hpp"

namespace llmgw::providers {

namespace json = boost::json;

namespace {

using parse_result = boost::system::result<chat_request, gateway_error>;

gateway_error bad_field(std::string param, std::string_view what) {
  std::string msg = "Invalid value for '";
  msg.append(param);
  msg.append("': ");
  msg.append(what);
  return invalid_request(std::move(msg), std::move(param));
}

std::string field(std::string_view parent, std::size_t i, std::string_view name) {
  std::string out(parent);
  out.push_back('[');
  out.append(std::to_string(i));
  out.append("].");
  out.append(name);
  return out;
}

std::optional<double> number_of(const json::value* v) {
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

std::optional<std::int64_t> integer_of(const json::value* v) {
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    const double d = v->get_double();  // out of range (or NaN) is no integer at all
    return d >= -9.0e18 && d <= 9.0e18 ? std::optional<std::int64_t>(static_cast<std::int64_t>(d)) : std::nullopt;
  }
  return std::nullopt;
}

std::string string_of(const json::value* v) {
  if (v && v->is_string()) return std::string(v->get_string());
  return {};
}

// content: a string, null, or an array of parts (text, image_url; other
// part kinds such as input_audio are refused, not silently dropped).
// `message` is the message's index: its field path ("messages[0].content")
// is built only for an error, so a well-formed request costs no allocation
// for it.
std::optional<gateway_error> read_content(const json::value& content, std::size_t message,
                                          std::vector<content_part>& parts) {
  if (content.is_null()) return std::nullopt;
  if (content.is_string()) {
    parts.push_back(content_part{content_part::kind::text, std::string(content.get_string()), {}});
    return std::nullopt;
  }
  const std::string where = "messages[" + std::to_string(message) + "].content";
  if (!content.is_array()) return bad_field(std::string(where), "expected a string or an array of content parts.");
  const auto& arr = content.get_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string at = std::string(where) + "[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) return bad_field(at, "expected a content part object.");
    const auto& part = arr[i].get_object();
    const std::string type = string_of(part.if_contains("type"));
    if (type == "text") {
      parts.push_back(content_part{content_part::kind::text, string_of(part.if_contains("text")), {}});
    } else if (type == "image_url") {
      const json::value* iu = part.if_contains("image_url");
      std::string url;
      if (iu && iu->is_object()) url = string_of(iu->get_object().if_contains("url"));
      if (iu && iu->is_string()) url = std::string(iu->get_string());
      if (url.empty()) return bad_field(at + ".image_url.url", "an image URL is required.");
      content_part p;
      p.type = content_part::kind::image;
      if (url.starts_with("data:")) {
        auto img = parse_data_url(url);
        if (!img) return bad_field(at + ".image_url.url", "expected a base64 data URL (data:<type>;base64,<data>).");
        p.image = std::move(*img);
      } else {
        p.image.url = std::move(url);
      }
      parts.push_back(std::move(p));
    } else {
      return invalid_request("Content part type '" + type + "' at '" + at +
                                 "' cannot be sent to this provider; use text or image_url parts.",
                             at + ".type");
    }
  }
  return std::nullopt;
}

std::optional<gateway_error> read_message(const json::value& v, std::size_t i, chat_message& m) {
  const std::string at = "messages[" + std::to_string(i) + "]";
  if (!v.is_object()) return bad_field(at, "expected a message object.");
  const auto& o = v.get_object();
  m.role = string_of(o.if_contains("role"));
  if (m.role.empty()) return bad_field(at + ".role", "a role is required.");
  m.name = string_of(o.if_contains("name"));
  m.tool_call_id = string_of(o.if_contains("tool_call_id"));
  if (const auto* c = o.if_contains("content")) {
    if (auto e = read_content(*c, i, m.parts)) return e;
  }
  if (const auto* tc = o.if_contains("tool_calls"); tc && !tc->is_null()) {
    if (!tc->is_array()) return bad_field(at + ".tool_calls", "expected an array.");
    const auto& calls = tc->get_array();
    for (std::size_t j = 0; j < calls.size(); ++j) {
      const std::string cat = field(at + ".tool_calls", j, "function");
      if (!calls[j].is_object()) return bad_field(cat, "expected a tool call object.");
      const auto& call = calls[j].get_object();
      tool_call c;
      c.id = string_of(call.if_contains("id"));
      const auto* fn = call.if_contains("function");
      if (!fn || !fn->is_object()) return bad_field(cat, "a function is required.");
      c.name = string_of(fn->get_object().if_contains("name"));
      c.arguments = string_of(fn->get_object().if_contains("arguments"));
      if (c.name.empty()) return bad_field(cat + ".name", "a function name is required.");
      m.tool_calls.push_back(std::move(c));
    }
  }
  if (m.role == "tool" && m.tool_call_id.empty())
    return bad_field(at + ".tool_call_id", "tool messages need a tool_call_id.");
  return std::nullopt;
}

std::optional<gateway_error> read_tools(const json::object& o, chat_request& r) {
  const auto* tools = o.if_contains("tools");
  if (!tools || tools->is_null()) return std::nullopt;
  if (!tools->is_array()) return bad_field("tools", "expected an array.");
  const auto& arr = tools->get_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string at = "tools[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) return bad_field(at, "expected a tool object.");
    const auto& t = arr[i].get_object();
    if (string_of(t.if_contains("type")) != "function")
      return invalid_request("Only function tools can be sent to this provider.", at + ".type");
    const auto* fn = t.if_contains("function");
    if (!fn || !fn->is_object()) return bad_field(at + ".function", "a function is required.");
    const auto& f = fn->get_object();
    tool_def d;
    d.name = string_of(f.if_contains("name"));
    if (d.name.empty()) return bad_field(at + ".function.name", "a function name is required.");
    d.description = string_of(f.if_contains("description"));
    if (const auto* p = f.if_contains("parameters"); p && p->is_object()) {
      d.parameters = *p;
    } else {
      d.parameters = json::object{{"type", "object"}, {"properties", json::object{}}};
    }
    r.tools.push_back(std::move(d));
  }
  return std::nullopt;
}

std::optional<gateway_error> read_tool_choice(const json::object& o, chat_request& r) {
  const auto* tc = o.if_contains("tool_choice");
  if (!tc || tc->is_null()) return std::nullopt;
  if (tc->is_string()) {
    const auto s = tc->get_string();
    if (s == "auto") {
      r.choice.kind = tool_choice::mode::auto_;
    } else if (s == "none") {
      r.choice.kind = tool_choice::mode::none;
    } else if (s == "required") {
      r.choice.kind = tool_choice::mode::required;
    } else {
      return bad_field("tool_choice", "expected auto, none, required or a named function.");
    }
    return std::nullopt;
  }
  if (tc->is_object()) {
    const auto* fn = tc->get_object().if_contains("function");
    std::string name = fn && fn->is_object() ? string_of(fn->get_object().if_contains("name")) : std::string();
    if (name.empty()) return bad_field("tool_choice.function.name", "a function name is required.");
    r.choice.kind = tool_choice::mode::named;
    r.choice.name = std::move(name);
    return std::nullopt;
  }
  return bad_field("tool_choice", "expected a string or an object.");
}

std::optional<gateway_error> read_response_format(const json::object& o, chat_request& r) {
  const auto* rf = o.if_contains("response_format");
  if (!rf || rf->is_null()) return std::nullopt;
  if (!rf->is_object()) return bad_field("response_format", "expected an object.");
  const auto& f = rf->get_object();
  const std::string type = string_of(f.if_contains("type"));
  if (type == "text") return std::nullopt;
  if (type == "json_object") {
    r.format.type = response_format::kind::json_object;
    return std::nullopt;
  }
  if (type != "json_schema") return bad_field("response_format.type", "expected text, json_object or json_schema.");
  const auto* js = f.if_contains("json_schema");
  if (!js || !js->is_object()) return bad_field("response_format.json_schema", "a json_schema object is required.");
  const auto& s = js->get_object();
  r.format.type = response_format::kind::json_schema;
  r.format.schema_name = string_of(s.if_contains("name"));
  if (r.format.schema_name.empty()) r.format.schema_name = "response";
  if (const auto* schema = s.if_contains("schema"); schema && schema->is_object()) {
    r.format.schema = *schema;
  } else {
    r.format.schema = json::object{{"type", "object"}};
  }
  if (const auto* strict = s.if_contains("strict"); strict && strict->is_bool()) r.format.strict = strict->get_bool();
  return std::nullopt;
}

void append_tool_call_json(std::string& out, const tool_call& c) {
  out.append(R"({"id":)");
  append_json_string(out, c.id);
  out.append(R"(,"type":"function","function":{"name":)");
  append_json_string(out, c.name);
  out.append(R"(,"arguments":)");
  append_json_string(out, c.arguments);
  out.append("}}");
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string chat_message::text() const {
  std::string out;
  for (const auto& p : parts) {
    if (p.type != content_part::kind::text) continue;
    if (!out.empty()) out.push_back('\n');
    out.append(p.text);
  }
  return out;
}

std::optional<image_ref> parse_data_url(std::string_view url) {
  if (!url.starts_with("data:")) return std::nullopt;
  url.remove_prefix(5);
  const auto comma = url.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view meta = url.substr(0, comma);
  if (!meta.ends_with(";base64")) return std::nullopt;
  meta.remove_suffix(7);
  image_ref r;
  r.media_type = meta.empty() ? "application/octet-stream" : std::string(meta);
  r.data = std::string(url.substr(comma + 1));
  if (r.data.empty()) return std::nullopt;
  return r;
}

parse_result parse_chat_request(std::string_view body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec) return invalid_request("The request body is not a JSON object.");
  return parse_chat_document(doc);
}

parse_result parse_chat_document(const json::value& doc) {
  if (!doc.is_object()) return invalid_request("The request body is not a JSON object.");
  const auto& o = doc.get_object();
  chat_request r;
  r.model = string_of(o.if_contains("model"));
  const auto* msgs = o.if_contains("messages");
  if (!msgs || !msgs->is_array()) return bad_field("messages", "an array of messages is required.");
  const auto& arr = msgs->get_array();
  r.messages.resize(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (auto e = read_message(arr[i], i, r.messages[i])) return *e;
  }
  if (auto e = read_tools(o, r)) return *e;
  if (auto e = read_tool_choice(o, r)) return *e;
  if (auto e = read_response_format(o, r)) return *e;
  if (const auto* p = o.if_contains("parallel_tool_calls"); p && p->is_bool()) r.parallel_tool_calls = p->get_bool();
  r.temperature = number_of(o.if_contains("temperature"));
  r.top_p = number_of(o.if_contains("top_p"));
  r.presence_penalty = number_of(o.if_contains("presence_penalty"));
  r.frequency_penalty = number_of(o.if_contains("frequency_penalty"));
  r.seed = integer_of(o.if_contains("seed"));
  r.max_tokens = integer_of(o.if_contains("max_completion_tokens"));
  if (!r.max_tokens) r.max_tokens = integer_of(o.if_contains("max_tokens"));
  if (const auto* stop = o.if_contains("stop"); stop && !stop->is_null()) {
    if (stop->is_string()) {
      r.stop.emplace_back(stop->get_string());
    } else if (stop->is_array()) {
      for (const auto& s : stop->get_array()) {
        if (!s.is_string()) return bad_field("stop", "expected a string or an array of strings.");
        r.stop.emplace_back(s.get_string());
      }
    } else {
      return bad_field("stop", "expected a string or an array of strings.");
    }
  }
  r.user = string_of(o.if_contains("user"));
  if (const auto* s = o.if_contains("stream"); s && s->is_bool()) r.stream = s->get_bool();
  if (const auto* so = o.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool())
      r.include_usage = iu->get_bool();
  }
  if (auto n = integer_of(o.if_contains("n")); n && *n != 1)
    return invalid_request("This provider returns one choice per request; 'n' must be 1.", "n");
  return r;
}

// ---------------------------------------------------------------- output

void append_openai_usage(std::string& out, const token_usage& u) {
  out.append(R"({"prompt_tokens":)");
  append_number(out, u.prompt_tokens);
  out.append(R"(,"completion_tokens":)");
  append_number(out, u.completion_tokens);
  out.append(R"(,"total_tokens":)");
  append_number(out, u.total_tokens ? u.total_tokens : u.prompt_tokens + u.completion_tokens);
  out.append(R"(,"prompt_tokens_details":{"cached_tokens":)");
  append_number(out, u.cached_tokens);
  out.append("}}");
}

std::string render_chat_completion(const chat_completion& c, std::string_view model) {
  std::string out;
  out.reserve(256 + (c.content ? c.content->size() : 0));
  out.append(R"({"id":"chatcmpl-)");
  const auto id = request_id::generate();
  out.append(id.view().substr(request_id::prefix.size()));
  out.append(R"(","object":"chat.completion","created":)");
  append_number(out, unix_now());
  out.append(R"(,"model":)");
  append_json_string(out, model);
  out.append(R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)");
  if (c.content) {
    append_json_string(out, *c.content);
  } else {
    out.append("null");
  }
  if (!c.tool_calls.empty()) {
    out.append(R"(,"tool_calls":[)");
    for (std::size_t i = 0; i < c.tool_calls.size(); ++i) {
      if (i) out.push_back(',');
      append_tool_call_json(out, c.tool_calls[i]);
    }
    out.push_back(']');
  }
  out.append(R"(,"refusal":null},"logprobs":null,"finish_reason":)");
  append_json_string(out, c.finish_reason);
  out.append(R"(}],"usage":)");
  append_openai_usage(out, c.usage);
  out.push_back('}');
  return out;
}

chunk_writer::chunk_writer(std::string id, std::int64_t created, std::string model, bool include_usage)
    : include_usage_(include_usage) {
  head_.append(R"(data: {"id":)");
  append_json_string(head_, id);
  head_.append(R"(,"object":"chat.completion.chunk","created":)");
  append_number(head_, created);
  head_.append(R"(,"model":)");
  append_json_string(head_, model);
  head_.append(R"(,"choices":[)");
}

void chunk_writer::open(std::string& out) const { out.append(head_); }

void chunk_writer::role(std::string& out) {
  if (role_sent_) return;
  role_sent_ = true;
  open(out);
  out.append(R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

)");
}

void chunk_writer::content(std::string& out, std::string_view text) {
  role(out);
  if (text.empty()) return;
  open(out);
  out.append(R"({"index":0,"delta":{"content":)");
  append_json_string(out, text);
  out.append(R"(},"logprobs":null,"finish_reason":null}]}

)");
}

int chunk_writer::tool_call_start(std::string& out, std::string_view id, std::string_view name) {
  role(out);
  const int index = next_tool_index_++;
  open(out);
  out.append(R"({"index":0,"delta":{"tool_calls":[{"index":)");
  append_number(out, index);
  out.append(R"(,"id":)");
  append_json_string(out, id);
  out.append(R"(,"type":"function","function":{"name":)");
  append_json_string(out, name);
  out.append(R"(,"arguments":""}}]},"logprobs":null,"finish_reason":null}]}

)");
  return index;
}

void chunk_writer::tool_call_arguments(std::string& out, int index, std::string_view fragment) {
  if (fragment.empty()) return;
  open(out);
  out.append(R"({"index":0,"delta":{"tool_calls":[{"index":)");
  append_number(out, index);
  out.append(R"(,"function":{"arguments":)");
  append_json_string(out, fragment);
  out.append(R"(}}]},"logprobs":null,"finish_reason":null}]}

)");
}

void chunk_writer::finish(std::string& out, std::string_view finish_reason) {
  if (finished_) return;
  role(out);
  finished_ = true;
  open(out);
  out.append(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":)");
  append_json_string(out, finish_reason);
  out.append("}]}\n\n");
}

void chunk_writer::done(std::string& out, const std::optional<token_usage>& usage) {
  finish(out, "stop");
  if (include_usage_) {
    open(out);
    out.append(R"(],"usage":)");
    append_openai_usage(out, usage.value_or(token_usage{}));
    out.append("}\n\n");
  }
  out.append("data: [DONE]\n\n");
}

}  // namespace llmgw::providers
