#include "cache/cache_key.hpp"

#include <boost/json.hpp>

// The state on the stack instead of XXH3_createState()'s heap.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <vector>

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

// Tool-call arguments are JSON text: the same arguments written with other
// spacing or key order are the same call.
json::value arguments_of(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return json::string(text);
  return json::object{{"json", std::move(v)}};
}

json::object canonical_request(const providers::chat_request& r) {
  json::array messages;
  for (const auto& m : r.messages) {
    json::object o;
    o["role"] = m.role;
    json::array parts;
    for (const auto& p : m.parts) {
      if (p.type == providers::content_part::kind::text) {
        parts.push_back(json::object{{"text", p.text}});
      } else if (p.image.is_data()) {
        parts.push_back(json::object{{"image_type", p.image.media_type}, {"image_data", p.image.data}});
      } else {
        parts.push_back(json::object{{"image_url", p.image.url}});
      }
    }
    o["content"] = std::move(parts);
    if (!m.tool_calls.empty()) {
      json::array calls;
      for (const auto& c : m.tool_calls) {
        calls.push_back(json::object{{"id", c.id}, {"name", c.name}, {"arguments", arguments_of(c.arguments)}});
      }
      o["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) o["tool_call_id"] = m.tool_call_id;
    if (!m.name.empty()) o["name"] = m.name;
    messages.push_back(std::move(o));
  }
  json::object out;
  out["messages"] = std::move(messages);
  if (!r.tools.empty()) {
    json::array tools;
    for (const auto& t : r.tools) {
      tools.push_back(json::object{{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
    }
    out["tools"] = std::move(tools);
  }
  using mode = providers::tool_choice::mode;
  switch (r.choice.kind) {
    case mode::unset:
      break;
    case mode::auto_:
      out["tool_choice"] = "auto";
      break;
    case mode::none:
      out["tool_choice"] = "none";
      break;
    case mode::required:
      out["tool_choice"] = "required";
      break;
    case mode::named:
      out["tool_choice"] = json::object{{"name", r.choice.name}};
      break;
  }
  if (r.parallel_tool_calls) out["parallel_tool_calls"] = *r.parallel_tool_calls;
  using fmt = providers::response_format::kind;
  if (r.format.type != fmt::text) {
    json::object f;
    f["type"] = r.format.type == fmt::json_object ? "json_object" : "json_schema";
    if (r.format.type == fmt::json_schema) {
      f["name"] = r.format.schema_name;
      f["schema"] = r.format.schema;
      f["strict"] = r.format.strict;
    }
    out["response_format"] = std::move(f);
  }
  if (r.temperature) out["temperature"] = *r.temperature;
  if (r.top_p) out["top_p"] = *r.top_p;
  if (r.max_tokens) out["max_tokens"] = *r.max_tokens;
  if (!r.stop.empty()) {
    json::array stop;
    for (const auto& s : r.stop) stop.push_back(json::string(s));
    out["stop"] = std::move(stop);
  }
  if (r.seed) out["seed"] = *r.seed;
  if (r.presence_penalty) out["presence_penalty"] = *r.presence_penalty;
  if (r.frequency_penalty) out["frequency_penalty"] = *r.frequency_penalty;
  return out;
}

// The top-level fields of `body` that are neither in `modelled` nor in
// `ignored`, for the fields that change an answer but that the canonical
// request has no place for.
json::object extras(const json::object& body, std::initializer_list<std::string_view> modelled) {
  json::object out;
  for (const auto& kv : body) {
    if (std::find(modelled.begin(), modelled.end(), kv.key()) != modelled.end()) continue;
    out[kv.key()] = kv.value();
  }
  return out;
}

std::string finish(json::object canonical, std::string_view extra_name, json::object extra) {
  if (!extra.empty()) canonical[extra_name] = std::move(extra);
  std::string out;
  write_sorted(canonical, out);
  return out;
}

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
  auto parsed = providers::parse_chat_request(body);
  if (!parsed) return parsed.error();
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return invalid_request("The request body is not a JSON object.");
  // Not an answer's input: stream, stream_options, user, metadata, store
  // (OpenAI's own retention of the answer) and the model (the resolved one
  // goes into the key apart).
  json::object extra =
      extras(doc.get_object(),
             {"model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature",
              "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty", "frequency_penalty",
              "user", "stream", "stream_options", "metadata", "store"});
  // n = 1 is what an absent n means.
  if (const auto* n = extra.if_contains("n"); n && n->is_number() && n->to_number<double>() == 1.0) extra.erase("n");
  return finish(canonical_request(*parsed), "openai_extra", std::move(extra));
}

boost::system::result<std::string, gateway_error> canonical_anthropic_messages(const providers::messages_request& r) {
  auto openai = providers::messages_to_openai(r, "");
  if (!openai) return openai.error();
  auto parsed = providers::parse_chat_request(*openai);
  if (!parsed) return parsed.error();
  json::object extra = extras(r.doc->get_object(), {"model", "messages", "system", "max_tokens", "temperature", "top_p",
                                                    "stop_sequences", "metadata", "tools", "tool_choice", "stream"});
  return finish(canonical_request(*parsed), "anthropic_extra", std::move(extra));
}

cache_key make_key(std::string_view space, std::string_view model, std::string_view canonical) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  // Lengths first: ("ab","c") and ("a","bc") must not hash alike.
  for (std::string_view part : {space, model, canonical}) {
    const std::uint64_t n = part.size();
    XXH3_128bits_update(&state, &n, sizeof n);
    XXH3_128bits_update(&state, part.data(), part.size());
  }
  const XXH128_hash_t h = XXH3_128bits_digest(&state);
  return {h.high64, h.low64};
}

}  // namespace llmgw::cache
