#include "cache/canonical_chat.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "cache/canonical_json.hpp"
#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "providers/openai_chat.hpp"

namespace llmgw::cache {

namespace dom = simdjson::dom;

namespace {

// The form is written straight from simdjson's DOM of the body: one pass of
// SIMD parsing, and no copy of the texts into structs first. Reading the
// body with Boost.JSON into a document, then into the adapters'
// chat_request, then writing the form was 80% of a cache lookup's CPU (11k
// instructions for a 1 KB body, callgrind). The fields read, and what makes
// a request uncacheable, are those of providers::parse_chat_document().

gateway_error not_cacheable(std::string_view why) {
  return invalid_request("The request has no cache key: " + std::string(why));
}

// What append_canonical_json() writes for {"type":"object","properties":{}} and
// {"type":"object"}: a tool without parameters and a json_schema format
// without a schema mean those (the tests compare the two spellings).
constexpr std::string_view k_empty_object_schema = R"({"properties":{},"type":'6:object})";
constexpr std::string_view k_object_schema = R"({"type":'6:object})";

// Two per thread: a tool call's arguments are parsed while the body's
// document (in the other parser) is still being read. The body parser keeps
// its buffers for bodies up to 128 KB (a long conversation; about 1.8 MB of
// buffers), the arguments parser for 16 KB.
reusable_parser& body_parser() {
  thread_local reusable_parser p(128 * 1024);
  return p;
}
reusable_parser& arguments_parser() {
  thread_local reusable_parser p(16 * 1024);
  return p;
}

// A key the form names itself: checked when compiled to need no escape, so
// it is copied as it is. Escaping every key of every message was a quarter
// of writing the form (callgrind, a 1 KB body: 4.5k -> 3.4k instructions).
class form_key {
 public:
  template <std::size_t N>
  consteval form_key(const char (&name)[N]) : name_(name, N - 1) {
    for (const char c : name_) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) {
        throw "a form key must need no escaping";
      }
    }
  }
  std::string_view text() const { return name_; }

 private:
  std::string_view name_;
};

class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_.push_back('{'); }
  ~object_writer() { out_.push_back('}'); }
  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;
  // Writes `"name":` after a comma when needed; the caller writes the value.
  std::string& key(form_key name) {
    separate();
    out_.push_back('"');
    out_.append(name.text());
    out_.append("\":", 2);
    return out_;
  }
  // The same for a key the client chose, escaped.
  std::string& client_key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_.push_back(':');
    return out_;
  }
  void string(form_key name, std::string_view value) { append_text(key(name), value); }
  void number(form_key name, double v) { append_number(key(name), v); }
  void integer(form_key name, std::int64_t v) { append_number(key(name), v); }

 private:
  void separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

using field = std::optional<dom::element>;

bool is(const field& f, dom::element_type t) { return f && f->type() == t; }
bool absent(const field& f) { return !f || f->type() == dom::element_type::NULL_VALUE; }

std::string_view string_of(const field& f) {
  return is(f, dom::element_type::STRING) ? f->get_string().value_unsafe() : std::string_view();
}

std::optional<double> number_of(const field& f) {
  if (!f) return std::nullopt;
  switch (f->type()) {
    case dom::element_type::DOUBLE:
      return f->get_double().value_unsafe();
    case dom::element_type::INT64:
      return static_cast<double>(f->get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return static_cast<double>(f->get_uint64().value_unsafe());
    default:
      return std::nullopt;
  }
}

std::optional<std::int64_t> integer_of(const field& f) {
  if (!f) return std::nullopt;
  switch (f->type()) {
    case dom::element_type::INT64:
      return f->get_int64().value_unsafe();
    case dom::element_type::UINT64:
      return static_cast<std::int64_t>(f->get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: {
      const double d = f->get_double().value_unsafe();  // out of range (or NaN) is no integer at all
      return d >= -9.0e18 && d <= 9.0e18 ? std::optional<std::int64_t>(static_cast<std::int64_t>(d)) : std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// The fields of `o` named in `names`, each found in one pass over `o`.
template <std::size_t N>
std::array<field, N> fields_of(dom::object o, const std::array<std::string_view, N>& names) {
  std::array<field, N> out;
  for (dom::key_value_pair kv : o) {
    for (std::size_t i = 0; i < N; ++i) {
      if (kv.key == names[i]) {
        out[i] = kv.value;
        break;
      }
    }
  }
  return out;
}

using write_result = std::optional<gateway_error>;

// Tool-call arguments are JSON text: the same arguments written with other
// spacing or key order are the same call.
void write_arguments(std::string_view text, std::string& out) {
  const parsed_json arguments(arguments_parser(), text);
  if (!arguments.ok()) {
    append_text(out, text);
    return;
  }
  object_writer w(out);
  append_canonical_json(w.key("json"), arguments.root());
}

// `[a,b,…]` of the elements of `list`: `each(element, out)` writes one, or
// refuses the request (which ends the list there).
template <class Each>
write_result write_list(dom::array list, std::string& out, Each each) {
  out.push_back('[');
  bool first = true;
  for (dom::element x : list) {
    if (!first) out.push_back(',');
    first = false;
    if (auto e = each(x, out)) return e;
  }
  out.push_back(']');
  return std::nullopt;
}

// A content part: text or image_url. Other part kinds are not modelled, and
// make the request uncached.
write_result write_part(dom::element p, std::string& out) {
  if (p.type() != dom::element_type::OBJECT) return not_cacheable("a content part is not an object");
  const auto [type, text, image_url] =
      fields_of(object_of(p), std::array<std::string_view, 3>{"type", "text", "image_url"});
  object_writer part(out);
  if (string_of(type) == "text") {
    part.string("text", string_of(text));
    return std::nullopt;
  }
  if (string_of(type) != "image_url") return not_cacheable("a content part of another type than text or image_url");
  std::string_view url = string_of(image_url);
  if (is(image_url, dom::element_type::OBJECT)) {
    url = string_of(fields_of(object_of(*image_url), std::array<std::string_view, 1>{"url"})[0]);
  }
  if (url.empty()) return not_cacheable("an image part without a URL");
  if (url.starts_with("data:")) {
    const auto image = providers::parse_data_url(url);
    if (!image) return not_cacheable("an image data URL that is not base64");
    part.string("image_data", image->data);
    part.string("image_type", image->media_type);
  } else {
    part.string("image_url", url);
  }
  return std::nullopt;
}

// content: null (no part), a string (one text part) or an array of parts.
write_result write_content(const field& content, std::string& out) {
  if (is(content, dom::element_type::ARRAY)) return write_list(array_of(*content), out, write_part);
  out.push_back('[');
  if (is(content, dom::element_type::STRING)) {
    object_writer part(out);
    part.string("text", content->get_string().value_unsafe());
  } else if (!absent(content)) {
    return not_cacheable("a message content that is neither a string nor an array");
  }
  out.push_back(']');
  return std::nullopt;
}

write_result write_call(dom::element c, std::string& out) {
  if (c.type() != dom::element_type::OBJECT) return not_cacheable("a tool call is not an object");
  const auto [id, function] = fields_of(object_of(c), std::array<std::string_view, 2>{"id", "function"});
  if (!is(function, dom::element_type::OBJECT)) return not_cacheable("a tool call without a function");
  const auto [name, arguments] = fields_of(object_of(*function), std::array<std::string_view, 2>{"name", "arguments"});
  if (string_of(name).empty()) return not_cacheable("a tool call without a function name");
  object_writer call(out);
  write_arguments(string_of(arguments), call.key("arguments"));
  call.string("id", string_of(id));
  call.string("name", string_of(name));
  return std::nullopt;
}

write_result write_message(dom::element m, std::string& out) {
  if (m.type() != dom::element_type::OBJECT) return not_cacheable("a message is not an object");
  const auto [role, name, tool_call_id, content, tool_calls] =
      fields_of(object_of(m), std::array<std::string_view, 5>{"role", "name", "tool_call_id", "content", "tool_calls"});
  if (string_of(role).empty()) return not_cacheable("a message without a role");
  if (string_of(role) == "tool" && string_of(tool_call_id).empty()) {
    return not_cacheable("a tool message without a tool_call_id");
  }
  object_writer w(out);
  if (auto e = write_content(content, w.key("content"))) return e;
  if (!string_of(name).empty()) w.string("name", string_of(name));
  w.string("role", string_of(role));
  if (!string_of(tool_call_id).empty()) w.string("tool_call_id", string_of(tool_call_id));
  if (!absent(tool_calls) && !(is(tool_calls, dom::element_type::ARRAY) && array_of(*tool_calls).size() == 0)) {
    if (!is(tool_calls, dom::element_type::ARRAY)) return not_cacheable("tool_calls is not an array");
    if (auto e = write_list(array_of(*tool_calls), w.key("tool_calls"), write_call)) return e;
  }
  return std::nullopt;
}

write_result write_tool(dom::element t, std::string& out) {
  if (t.type() != dom::element_type::OBJECT) return not_cacheable("a tool is not an object");
  const auto [type, function] = fields_of(object_of(t), std::array<std::string_view, 2>{"type", "function"});
  if (string_of(type) != "function") return not_cacheable("a tool that is not a function");
  if (!is(function, dom::element_type::OBJECT)) return not_cacheable("a tool without a function");
  const auto [name, description, parameters] =
      fields_of(object_of(*function), std::array<std::string_view, 3>{"name", "description", "parameters"});
  if (string_of(name).empty()) return not_cacheable("a tool without a name");
  object_writer tool(out);
  tool.string("description", string_of(description));
  tool.string("name", string_of(name));
  if (is(parameters, dom::element_type::OBJECT)) {
    append_canonical_json(tool.key("parameters"), *parameters);
  } else {
    tool.key("parameters").append(k_empty_object_schema);
  }
  return std::nullopt;
}

write_result write_tool_choice(const field& choice, object_writer& w) {
  if (is(choice, dom::element_type::STRING)) {
    const std::string_view s = string_of(choice);
    if (s != "auto" && s != "none" && s != "required") return not_cacheable("an unknown tool_choice");
    w.string("tool_choice", s);
    return std::nullopt;
  }
  if (!is(choice, dom::element_type::OBJECT)) return not_cacheable("tool_choice is neither a string nor an object");
  const field function = fields_of(object_of(*choice), std::array<std::string_view, 1>{"function"})[0];
  const std::string_view name =
      is(function, dom::element_type::OBJECT)
          ? string_of(fields_of(object_of(*function), std::array<std::string_view, 1>{"name"})[0])
          : std::string_view();
  if (name.empty()) return not_cacheable("a named tool_choice without a name");
  object_writer c(w.key("tool_choice"));
  c.string("name", name);
  return std::nullopt;
}

write_result write_response_format(const field& format, object_writer& w) {
  if (!is(format, dom::element_type::OBJECT)) return not_cacheable("response_format is not an object");
  const auto [type, json_schema] =
      fields_of(object_of(*format), std::array<std::string_view, 2>{"type", "json_schema"});
  const std::string_view kind = string_of(type);
  if (kind == "text") return std::nullopt;
  if (kind == "json_object") {
    object_writer f(w.key("response_format"));
    f.string("type", "json_object");
    return std::nullopt;
  }
  if (kind != "json_schema") return not_cacheable("an unknown response_format type");
  if (!is(json_schema, dom::element_type::OBJECT)) return not_cacheable("a json_schema format without its object");
  const auto [name, schema, strict] =
      fields_of(object_of(*json_schema), std::array<std::string_view, 3>{"name", "schema", "strict"});
  object_writer f(w.key("response_format"));
  f.string("name", string_of(name).empty() ? std::string_view("response") : string_of(name));
  if (is(schema, dom::element_type::OBJECT)) {
    append_canonical_json(f.key("schema"), *schema);
  } else {
    f.key("schema").append(k_object_schema);
  }
  f.key("strict").append(is(strict, dom::element_type::BOOL) && strict->get_bool().value_unsafe() ? "true" : "false");
  f.string("type", "json_schema");
  return std::nullopt;
}

// stop: a string is a list of one; an empty list is no stop.
write_result write_stop(const field& stop, object_writer& w) {
  if (is(stop, dom::element_type::STRING)) {
    std::string& out = w.key("stop");
    out.push_back('[');
    append_text(out, string_of(stop));
    out.push_back(']');
    return std::nullopt;
  }
  if (!is(stop, dom::element_type::ARRAY)) return not_cacheable("stop is neither a string nor an array");
  const dom::array list = array_of(*stop);
  if (list.size() == 0) return std::nullopt;
  return write_list(list, w.key("stop"), [](dom::element s, std::string& out) -> write_result {
    if (s.type() != dom::element_type::STRING) return not_cacheable("a stop that is not a string");
    append_text(out, s.get_string().value_unsafe());
    return std::nullopt;
  });
}

// The top-level fields of an OpenAI chat body, by what the form does with them.
enum class top : std::uint8_t {
  messages,
  tools,
  tool_choice,
  parallel_tool_calls,
  response_format,
  temperature,
  top_p,
  max_tokens,
  max_completion_tokens,
  stop,
  seed,
  presence_penalty,
  frequency_penalty,
  n,
  count,
  // Not an answer's input: stream, stream_options, user, metadata, store
  // (OpenAI's own retention of the answer) and the model (the resolved one
  // goes into the key apart).
  ignored,
  extra,  // not modelled: kept as it is, under "openai_extra"
};

constexpr std::pair<std::string_view, top> k_top_fields[] = {
    {"model", top::ignored},
    {"messages", top::messages},
    {"temperature", top::temperature},
    {"max_tokens", top::max_tokens},
    {"stream", top::ignored},
    {"max_completion_tokens", top::max_completion_tokens},
    {"top_p", top::top_p},
    {"stream_options", top::ignored},
    {"user", top::ignored},
    {"metadata", top::ignored},
    {"tools", top::tools},
    {"tool_choice", top::tool_choice},
    {"parallel_tool_calls", top::parallel_tool_calls},
    {"response_format", top::response_format},
    {"stop", top::stop},
    {"seed", top::seed},
    {"presence_penalty", top::presence_penalty},
    {"frequency_penalty", top::frequency_penalty},
    {"n", top::n},
    {"store", top::ignored},
};

top top_field(std::string_view key) {
  for (const auto& [name, kind] : k_top_fields) {
    if (key == name) return kind;
  }
  return top::extra;
}

using top_fields = std::array<field, static_cast<std::size_t>(top::count)>;

const field& at(const top_fields& f, top t) { return f[static_cast<std::size_t>(t)]; }

// The form, keys in sorted order, into `out`.
write_result write_form(const top_fields& f, const std::vector<dom::key_value_pair>& extra,
                        std::string_view anthropic_extra, std::string& out);

// The form of a chat body. `keep_extras`: fields the form does not
// model go under "openai_extra" (an Anthropic request's translation has none
// of the client's own: those come as `anthropic_extra`, already written).
write_result canonical_text(dom::object body, bool keep_extras, std::string_view anthropic_extra, std::size_t size_hint,
                            std::string& out) {
  top_fields f;
  std::vector<dom::key_value_pair> extra;
  for (dom::key_value_pair kv : body) {
    const top t = top_field(kv.key);
    if (t < top::count) {
      f[static_cast<std::size_t>(t)] = kv.value;
    } else if (t == top::extra && keep_extras) {
      extra.push_back(kv);
    }
  }
  // n = 1 is what an absent n means; more choices are not modelled.
  if (const auto n = integer_of(at(f, top::n)); n && *n != 1) return not_cacheable("n is not 1");
  if (!is(at(f, top::messages), dom::element_type::ARRAY)) return not_cacheable("messages is not an array");
  std::stable_sort(extra.begin(), extra.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  out.reserve(out.size() + size_hint + 128);
  return write_form(f, extra, anthropic_extra, out);
}

// The value-returning forms, from the ones that write into a buffer.
template <class Write>
boost::system::result<std::string, gateway_error> as_value(Write write) {
  std::string out;
  if (auto e = write(out)) return *e;
  return out;
}

write_result write_form(const top_fields& f, const std::vector<dom::key_value_pair>& extra,
                        std::string_view anthropic_extra, std::string& out) {
  object_writer w(out);
  if (!anthropic_extra.empty()) w.key("anthropic_extra").append(anthropic_extra);
  if (const auto v = number_of(at(f, top::frequency_penalty))) w.number("frequency_penalty", *v);
  auto max_tokens = integer_of(at(f, top::max_completion_tokens));
  if (!max_tokens) max_tokens = integer_of(at(f, top::max_tokens));
  if (max_tokens) w.integer("max_tokens", *max_tokens);
  if (auto e = write_list(array_of(*at(f, top::messages)), w.key("messages"), write_message)) return *e;
  if (!extra.empty()) {
    object_writer x(w.key("openai_extra"));
    for (const auto& kv : extra) append_canonical_json(x.client_key(kv.key), kv.value);
  }
  if (const field& p = at(f, top::parallel_tool_calls); is(p, dom::element_type::BOOL)) {
    w.key("parallel_tool_calls").append(p->get_bool().value_unsafe() ? "true" : "false");
  }
  if (const auto v = number_of(at(f, top::presence_penalty))) w.number("presence_penalty", *v);
  if (!absent(at(f, top::response_format))) {
    if (auto e = write_response_format(at(f, top::response_format), w)) return *e;
  }
  if (const auto v = integer_of(at(f, top::seed))) w.integer("seed", *v);
  if (!absent(at(f, top::stop))) {
    if (auto e = write_stop(at(f, top::stop), w)) return *e;
  }
  if (const auto v = number_of(at(f, top::temperature))) w.number("temperature", *v);
  if (!absent(at(f, top::tool_choice))) {
    if (auto e = write_tool_choice(at(f, top::tool_choice), w)) return *e;
  }
  if (const field& tools = at(f, top::tools);
      !absent(tools) && !(is(tools, dom::element_type::ARRAY) && array_of(*tools).size() == 0)) {
    if (!is(tools, dom::element_type::ARRAY)) return not_cacheable("tools is not an array");
    if (auto e = write_list(array_of(*tools), w.key("tools"), write_tool)) return *e;
  }
  if (const auto v = number_of(at(f, top::top_p))) w.number("top_p", *v);
  return std::nullopt;
}

}  // namespace

std::optional<gateway_error> canonical_openai_chat(std::string_view body, std::string& out) {
  const parsed_json parsed(body_parser(), body);
  if (!parsed.ok() || parsed.root().type() != dom::element_type::OBJECT) {
    return invalid_request("The request body is not a JSON object.");
  }
  return canonical_text(object_of(parsed.root()), true, {}, body.size(), out);
}

boost::system::result<std::string, gateway_error> canonical_openai_chat(std::string_view body) {
  return as_value([&](std::string& out) { return canonical_openai_chat(body, out); });
}

boost::system::result<std::string, gateway_error> canonical_anthropic_messages(const providers::messages_request& r) {
  return as_value([&](std::string& out) { return canonical_anthropic_messages(r, out); });
}

std::optional<gateway_error> canonical_anthropic_messages(const providers::messages_request& r, std::string& out) {
  // The Anthropic fields the translation drops (top_k, thinking…), written
  // first: the body parser is then free for the translation.
  std::string anthropic_extra;
  {
    namespace json = boost::json;
    constexpr std::string_view k_translated[] = {"model",       "messages",    "system",         "max_tokens",
                                                 "temperature", "top_p",       "stop_sequences", "metadata",
                                                 "tools",       "tool_choice", "stream"};
    json::object extra;
    for (const auto& kv : r.doc->get_object()) {
      if (std::find(std::begin(k_translated), std::end(k_translated), kv.key()) == std::end(k_translated)) {
        extra.emplace(kv.key(), kv.value());
      }
    }
    if (!extra.empty()) {
      const parsed_json parsed(body_parser(), json::serialize(extra));
      if (!parsed.ok()) return not_cacheable("unreadable Anthropic fields");
      append_canonical_json(anthropic_extra, parsed.root());
    }
  }
  auto openai = providers::messages_to_openai(r, "");
  if (!openai) return openai.error();
  const parsed_json parsed(body_parser(), *openai);
  if (!parsed.ok() || parsed.root().type() != dom::element_type::OBJECT) {
    return invalid_request("The request body is not a JSON object.");
  }
  return canonical_text(object_of(parsed.root()), false, anthropic_extra, openai->size(), out);
}

}  // namespace llmgw::cache
