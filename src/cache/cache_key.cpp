#include "cache/cache_key.hpp"

#include <boost/json.hpp>

// The state on the stack instead of XXH3_createState()'s heap.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/append_number.hpp"
#include "core/json_escape.hpp"
#include "providers/openai_chat.hpp"

namespace llmgw::cache {

namespace json = boost::json;

namespace {

// Objects with their keys sorted, recursively; everything else as Boost.JSON
// writes it (numbers in one shortest form, strings escaped one way).
void write_sorted(const json::value& v, std::string& out) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    std::vector<const json::key_value_pair*> fields;
    fields.reserve(o.size());
    for (const auto& kv : o) fields.push_back(&kv);
    std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out.push_back(',');
      append_json_string(out, fields[i]->key());
      out.push_back(':');
      write_sorted(fields[i]->value(), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& x : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      write_sorted(x, out);
    }
    out.push_back(']');
  } else {
    out.append(json::serialize(v));
  }
}

// A text of the request (a message, a tool's name) as its length and its
// bytes: the form is only hashed, and a length makes it as unambiguous as
// JSON's quotes and escapes, which cost some four instructions a byte of
// every message on each lookup.
void append_text(std::string& out, std::string_view text) {
  out.push_back('\'');
  append_number(out, text.size());
  out.push_back(':');
  out.append(text);
}

// The canonical text is written straight from the parsed request, in one
// fixed order (the keys sorted, as write_sorted would order them), with no
// intermediate JSON document: building one cost a dozen allocations per
// request and was most of a cache lookup's CPU.
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_.push_back('{'); }
  ~object_writer() { out_.push_back('}'); }
  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;
  // Writes `"name":` after a comma when needed (names are this file's
  // literals or, for fields outside the model, the client's: escaped then);
  // the caller writes the value.
  std::string& key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    append_json_string(out_, name);
    out_.push_back(':');
    return out_;
  }
  void string(std::string_view name, std::string_view value) { append_text(key(name), value); }
  void json_value(std::string_view name, const json::value& v) { write_sorted(v, key(name)); }
  void number(std::string_view name, double v) {
    append_number(key(name), v);
  }  // shortest form that reads back the same
  void integer(std::string_view name, std::int64_t v) { append_number(key(name), v); }

 private:
  std::string& out_;
  bool first_ = true;
};

// Tool-call arguments are JSON text: the same arguments written with other
// spacing or key order are the same call.
void write_arguments(std::string_view text, std::string& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) {
    append_text(out, text);
    return;
  }
  object_writer w(out);
  w.json_value("json", v);
}

// `[a,b,…]`: `each(out, item)` writes one item.
template <class Items, class Each>
void write_array(std::string& out, const Items& items, Each each) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    each(out, item);
  }
  out.push_back(']');
}

void write_part(std::string& out, const providers::content_part& p) {
  object_writer part(out);
  if (p.type == providers::content_part::kind::text) {
    part.string("text", p.text);
  } else if (p.image.is_data()) {
    part.string("image_data", p.image.data);
    part.string("image_type", p.image.media_type);
  } else {
    part.string("image_url", p.image.url);
  }
}

void write_call(std::string& out, const providers::tool_call& c) {
  object_writer call(out);
  write_arguments(c.arguments, call.key("arguments"));
  call.string("id", c.id);
  call.string("name", c.name);
}

void write_message(std::string& out, const providers::chat_message& m) {
  object_writer w(out);
  write_array(w.key("content"), m.parts, write_part);
  if (!m.name.empty()) w.string("name", m.name);
  w.string("role", m.role);
  if (!m.tool_call_id.empty()) w.string("tool_call_id", m.tool_call_id);
  if (!m.tool_calls.empty()) write_array(w.key("tool_calls"), m.tool_calls, write_call);
}

void write_tool(std::string& out, const providers::tool_def& t) {
  object_writer tool(out);
  tool.string("description", t.description);
  tool.string("name", t.name);
  tool.json_value("parameters", t.parameters);
}

// The top-level fields of `body` outside `modelled`, keys sorted: the fields
// that change an answer but that the canonical request has no place for.
// Nothing is copied: the pointers view `body`.
using extra_fields = std::vector<const json::key_value_pair*>;
extra_fields extras(const json::object& body, std::initializer_list<std::string_view> modelled) {
  extra_fields out;
  for (const auto& kv : body) {
    if (std::find(modelled.begin(), modelled.end(), kv.key()) != modelled.end()) continue;
    out.push_back(&kv);
  }
  std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  return out;
}

void write_extras(object_writer& w, std::string_view name, const extra_fields& extra) {
  if (extra.empty()) return;
  object_writer x(w.key(name));
  for (const auto* kv : extra) x.json_value(kv->key(), kv->value());
}

std::string canonical_text(const providers::chat_request& r, std::string_view extra_name, const extra_fields& extra,
                           std::size_t size_hint) {
  std::string out;
  out.reserve(size_hint + 128);
  {
    object_writer w(out);
    if (extra_name < "frequency_penalty") write_extras(w, extra_name, extra);  // anthropic_extra sorts first
    if (r.frequency_penalty) w.number("frequency_penalty", *r.frequency_penalty);
    if (r.max_tokens) w.integer("max_tokens", *r.max_tokens);
    write_array(w.key("messages"), r.messages, write_message);
    if (extra_name > "messages") write_extras(w, extra_name, extra);  // openai_extra
    if (r.parallel_tool_calls) w.key("parallel_tool_calls").append(*r.parallel_tool_calls ? "true" : "false");
    if (r.presence_penalty) w.number("presence_penalty", *r.presence_penalty);
    using fmt = providers::response_format::kind;
    if (r.format.type != fmt::text) {
      object_writer f(w.key("response_format"));
      if (r.format.type == fmt::json_schema) {
        f.string("name", r.format.schema_name);
        f.json_value("schema", r.format.schema);
        f.key("strict").append(r.format.strict ? "true" : "false");
      }
      f.string("type", r.format.type == fmt::json_object ? "json_object" : "json_schema");
    }
    if (r.seed) w.integer("seed", *r.seed);
    if (!r.stop.empty())
      write_array(w.key("stop"), r.stop, [](std::string& o, const std::string& x) { append_text(o, x); });
    if (r.temperature) w.number("temperature", *r.temperature);
    using mode = providers::tool_choice::mode;
    switch (r.choice.kind) {
      case mode::unset:
        break;
      case mode::auto_:
        w.string("tool_choice", "auto");
        break;
      case mode::none:
        w.string("tool_choice", "none");
        break;
      case mode::required:
        w.string("tool_choice", "required");
        break;
      case mode::named: {
        object_writer c(w.key("tool_choice"));
        c.string("name", r.choice.name);
        break;
      }
    }
    if (!r.tools.empty()) write_array(w.key("tools"), r.tools, write_tool);
    if (r.top_p) w.number("top_p", *r.top_p);
  }
  return out;
}

// A parse whose nodes come from a block reused by the thread: a typical
// request's document costs no allocation (a larger one borrows more from the
// heap for this call only). The document must not outlive the next call.
class scratch_parse {
 public:
  // Constructed in place: assigning the parse to a value would copy it into
  // the heap.
  explicit scratch_parse(std::string_view text)
      : resource_(block().data(), block().size()), doc_(json::parse(text, ec_, json::storage_ptr(&resource_))) {}
  bool ok() const { return !ec_ && doc_.is_object(); }
  const json::value& doc() const { return doc_; }

 private:
  static std::vector<unsigned char>& block() {
    thread_local std::vector<unsigned char> b(32 * 1024);
    return b;
  }
  json::monotonic_resource resource_;
  boost::system::error_code ec_;
  json::value doc_;
};

}  // namespace

std::string cache_key::hex() const {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = k_digits[(high >> (4 * i)) & 0xf];
    out[31 - i] = k_digits[(low >> (4 * i)) & 0xf];
  }
  return out;
}

boost::system::result<std::string, gateway_error> canonical_openai_chat(std::string_view body) {
  const scratch_parse parsed_body(body);
  if (!parsed_body.ok()) return invalid_request("The request body is not a JSON object.");
  auto parsed = providers::parse_chat_document(parsed_body.doc());
  if (!parsed) return parsed.error();
  // Not an answer's input: stream, stream_options, user, metadata, store
  // (OpenAI's own retention of the answer) and the model (the resolved one
  // goes into the key apart).
  extra_fields extra =
      extras(parsed_body.doc().get_object(),
             {"model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature",
              "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty", "frequency_penalty",
              "user", "stream", "stream_options", "metadata", "store"});
  // n = 1 is what an absent n means.
  std::erase_if(extra, [](const json::key_value_pair* kv) {
    return kv->key() == "n" && kv->value().is_number() && kv->value().to_number<double>() == 1.0;
  });
  return canonical_text(*parsed, "openai_extra", extra, body.size());
}

boost::system::result<std::string, gateway_error> canonical_anthropic_messages(const providers::messages_request& r) {
  auto openai = providers::messages_to_openai(r, "");
  if (!openai) return openai.error();
  const scratch_parse parsed_body(*openai);
  if (!parsed_body.ok()) return invalid_request("The request body is not a JSON object.");
  auto parsed = providers::parse_chat_document(parsed_body.doc());
  if (!parsed) return parsed.error();
  const extra_fields extra =
      extras(r.doc->get_object(), {"model", "messages", "system", "max_tokens", "temperature", "top_p",
                                   "stop_sequences", "metadata", "tools", "tool_choice", "stream"});
  return canonical_text(*parsed, "anthropic_extra", extra, openai->size());
}

cache_key make_key(key_space space, std::string_view model, std::string_view canonical) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  // Lengths first: ("ab","c") and ("a","bc") must not hash alike. The
  // space's two parts hash as the one string they spell.
  const std::uint64_t space_size = space.prefix.size() + space.name.size();
  XXH3_128bits_update(&state, &space_size, sizeof space_size);
  XXH3_128bits_update(&state, space.prefix.data(), space.prefix.size());
  XXH3_128bits_update(&state, space.name.data(), space.name.size());
  for (std::string_view part : {model, canonical}) {
    const std::uint64_t n = part.size();
    XXH3_128bits_update(&state, &n, sizeof n);
    XXH3_128bits_update(&state, part.data(), part.size());
  }
  const XXH128_hash_t h = XXH3_128bits_digest(&state);
  return {h.high64, h.low64};
}

cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical) {
  return make_key(key_space{space, {}}, model, canonical);
}

}  // namespace llmgw::cache
