#include "mock/request_digest.hpp"

#include <boost/json.hpp>

#include <string>

namespace llmgw::mock {

namespace {

namespace json = boost::json;

// A turn of the conversation as the digest shows it.
struct turn {
  std::string role;
  json::array text;
  json::array images;
  json::array tool_calls;
  json::array tool_results;
};

struct digest {
  json::array system;
  std::vector<turn> turns;
  json::array stop;
  json::value max_tokens;   // null when the request sets none
  json::object call_names;  // tool call id → name, for the results that answer them

  turn& turn_for(std::string_view role) {
    if (turns.empty() || turns.back().role != role) turns.push_back(turn{std::string(role), {}, {}, {}, {}});
    return turns.back();
  }

  void add_text(turn& t, std::string_view text) {
    if (!text.empty()) t.text.emplace_back(text);
  }

  void add_call(turn& t, json::value id, std::string_view name, json::value arguments) {
    if (id.is_string()) call_names[id.get_string()] = name;
    t.tool_calls.push_back(json::object{{"id", std::move(id)}, {"name", name}, {"arguments", std::move(arguments)}});
  }

  // `name` null: the name of the earlier call with this id, if any.
  void add_result(turn& t, json::value id, json::value name, json::value content) {
    if (name.is_null() && id.is_string()) {
      if (const auto* known = call_names.if_contains(id.get_string())) name = *known;
    }
    t.tool_results.push_back(
        json::object{{"id", std::move(id)}, {"name", std::move(name)}, {"content", std::move(content)}});
  }

  std::string render() const {
    json::array messages;
    for (const auto& t : turns) {
      messages.push_back(json::object{{"role", t.role},
                                      {"text", t.text},
                                      {"images", t.images},
                                      {"tool_calls", t.tool_calls},
                                      {"tool_results", t.tool_results}});
    }
    return json::serialize(json::object{
        {"system", system}, {"messages", std::move(messages)}, {"stop", stop}, {"max_tokens", max_tokens}});
  }
};

const json::value* member(const json::value& v, std::string_view name) {
  return v.is_object() ? v.get_object().if_contains(name) : nullptr;
}

// Google's JSON mapping accepts lowerCamel and snake_case names alike.
const json::value* member(const json::value& v, std::string_view camel, std::string_view snake) {
  const auto* m = member(v, camel);
  return m ? m : member(v, snake);
}

const json::value* member(const json::object& o, std::string_view camel, std::string_view snake) {
  const auto* m = o.if_contains(camel);
  return m ? m : o.if_contains(snake);
}

std::string_view string_of(const json::value* v) {
  return v && v->is_string() ? std::string_view(v->get_string()) : "";
}

json::value string_or_null(const json::value* v) {
  return v && v->is_string() ? json::value(v->get_string()) : nullptr;
}

// Text that parses as JSON is its value; other text stays a string.
json::value json_or_text(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return json::string(text);
  return v;
}

void add_stops(digest& d, const json::value* stops) {
  if (!stops) return;
  if (stops->is_string()) {
    d.stop.push_back(*stops);
  } else if (stops->is_array()) {
    for (const auto& s : stops->get_array()) d.stop.push_back(s);
  }
}

void set_max_tokens(digest& d, const json::value* v) {
  if (v && v->is_number()) d.max_tokens = *v;
}

// ---------------------------------------------------------------- OpenAI

// "data:image/png;base64,…" → "image/png"; any other URL → "url".
std::string_view openai_image_type(std::string_view url) {
  if (!url.starts_with("data:")) return "url";
  url.remove_prefix(5);
  return url.substr(0, url.find_first_of(";,"));
}

// The text of a content that is a string or an array of text parts.
std::string joined_text(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string out;
  if (content->is_array()) {
    for (const auto& part : content->get_array()) out.append(string_of(member(part, "text")));
  }
  return out;
}

void openai(digest& d, const json::object& root) {
  if (const auto* messages = root.if_contains("messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      const std::string_view role = string_of(member(m, "role"));
      const json::value* content = member(m, "content");
      if (role == "system" || role == "developer") {
        const std::string text = joined_text(content);
        if (!text.empty()) d.system.emplace_back(text);
        continue;
      }
      if (role == "tool") {
        turn& t = d.turn_for("user");
        d.add_result(t, string_or_null(member(m, "tool_call_id")), nullptr, json_or_text(joined_text(content)));
        continue;
      }
      turn& t = d.turn_for(role);
      if (content && content->is_string()) {
        d.add_text(t, content->get_string());
      } else if (content && content->is_array()) {
        for (const auto& part : content->get_array()) {
          const std::string_view type = string_of(member(part, "type"));
          if (type == "text") {
            d.add_text(t, string_of(member(part, "text")));
          } else if (type == "image_url") {
            // {"url": …}, or the URL alone as some clients send it.
            const auto* image = member(part, "image_url");
            const json::value* url = image && image->is_object() ? member(*image, "url") : image;
            t.images.emplace_back(openai_image_type(string_of(url)));
          }
        }
      }
      if (const auto* calls = member(m, "tool_calls"); calls && calls->is_array()) {
        for (const auto& c : calls->get_array()) {
          const auto* function = member(c, "function");
          const json::value* name = function ? member(*function, "name") : nullptr;
          const json::value* arguments = function ? member(*function, "arguments") : nullptr;
          d.add_call(t, string_or_null(member(c, "id")), string_of(name),
                     arguments && arguments->is_string() ? json_or_text(arguments->get_string()) : json::value());
        }
      }
    }
  }
  add_stops(d, root.if_contains("stop"));
  set_max_tokens(d, root.if_contains("max_tokens"));
  if (const auto* v = root.if_contains("max_completion_tokens"); v && v->is_number()) d.max_tokens = *v;
}

// ---------------------------------------------------------------- Anthropic

std::string_view anthropic_image_type(const json::value& block) {
  const auto* source = member(block, "source");
  if (!source) return "";
  if (string_of(member(*source, "type")) == "url") return "url";
  return string_of(member(*source, "media_type"));
}

void anthropic_blocks(digest& d, turn& t, const json::value& content) {
  if (content.is_string()) {
    d.add_text(t, content.get_string());
    return;
  }
  if (!content.is_array()) return;
  for (const auto& block : content.get_array()) {
    const std::string_view type = string_of(member(block, "type"));
    if (type == "text") {
      d.add_text(t, string_of(member(block, "text")));
    } else if (type == "image") {
      t.images.emplace_back(anthropic_image_type(block));
    } else if (type == "tool_use") {
      const auto* input = member(block, "input");
      d.add_call(t, string_or_null(member(block, "id")), string_of(member(block, "name")),
                 input ? *input : json::value());
    } else if (type == "tool_result") {
      const auto* inner = member(block, "content");
      // Images inside a result are images the vendor received.
      if (inner && inner->is_array()) {
        for (const auto& b : inner->get_array())
          if (string_of(member(b, "type")) == "image") t.images.emplace_back(anthropic_image_type(b));
      }
      d.add_result(t, string_or_null(member(block, "tool_use_id")), nullptr, json_or_text(joined_text(inner)));
    }
  }
}

void anthropic(digest& d, const json::object& root) {
  if (const auto* system = root.if_contains("system")) {
    if (system->is_string()) {
      if (!system->get_string().empty()) d.system.push_back(*system);
    } else if (system->is_array()) {
      for (const auto& block : system->get_array()) {
        const std::string_view text = string_of(member(block, "text"));
        if (!text.empty()) d.system.emplace_back(text);
      }
    }
  }
  if (const auto* messages = root.if_contains("messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      turn& t = d.turn_for(string_of(member(m, "role")));
      if (const auto* content = member(m, "content")) anthropic_blocks(d, t, *content);
    }
  }
  add_stops(d, root.if_contains("stop_sequences"));
  set_max_tokens(d, root.if_contains("max_tokens"));
}

// ---------------------------------------------------------------- Gemini

void gemini(digest& d, const json::object& root) {
  if (const auto* instruction = member(root, "systemInstruction", "system_instruction")) {
    if (const auto* parts = member(*instruction, "parts"); parts && parts->is_array()) {
      for (const auto& p : parts->get_array()) {
        const std::string_view text = string_of(member(p, "text"));
        if (!text.empty()) d.system.emplace_back(text);
      }
    }
  }
  if (const auto* contents = root.if_contains("contents"); contents && contents->is_array()) {
    for (const auto& c : contents->get_array()) {
      const std::string_view role = string_of(member(c, "role"));
      turn& t = d.turn_for(role == "model" ? "assistant" : "user");  // a missing role is the user's
      const auto* parts = member(c, "parts");
      if (!parts || !parts->is_array()) continue;
      for (const auto& p : parts->get_array()) {
        if (const auto* text = member(p, "text"); text && text->is_string()) {
          if (!member(p, "thought")) d.add_text(t, text->get_string());
        } else if (const auto* inline_data = member(p, "inlineData", "inline_data")) {
          t.images.emplace_back(string_of(member(*inline_data, "mimeType", "mime_type")));
        } else if (const auto* file_data = member(p, "fileData", "file_data")) {
          t.images.emplace_back(string_of(member(*file_data, "mimeType", "mime_type")));
        } else if (const auto* call = member(p, "functionCall", "function_call")) {
          const auto* args = member(*call, "args");
          d.add_call(t, string_or_null(member(*call, "id")), string_of(member(*call, "name")),
                     args ? *args : json::value());
        } else if (const auto* response = member(p, "functionResponse", "function_response")) {
          const auto* content = member(*response, "response");
          d.add_result(t, string_or_null(member(*response, "id")), string_or_null(member(*response, "name")),
                       content ? *content : json::value());
        }
      }
    }
  }
  if (const auto* config = member(root, "generationConfig", "generation_config")) {
    add_stops(d, member(*config, "stopSequences", "stop_sequences"));
    set_max_tokens(d, member(*config, "maxOutputTokens", "max_output_tokens"));
  }
}

// ---------------------------------------------------------------- Bedrock

std::string bedrock_image_type(const json::value& image) {
  const std::string_view format = string_of(member(image, "format"));
  return format.empty() ? std::string() : "image/" + std::string(format);
}

// A toolResult's content: one json block is that value; text blocks are
// joined and read like any text; images count as images of the turn.
json::value bedrock_result_content(const json::value* content, turn& t) {
  if (!content || !content->is_array()) return nullptr;
  std::string text;
  for (const auto& block : content->get_array()) {
    if (const auto* j = member(block, "json")) {
      if (content->get_array().size() == 1) return *j;
      text.append(json::serialize(*j));
    } else if (const auto* s = member(block, "text"); s && s->is_string()) {
      text.append(s->get_string());
    } else if (const auto* image = member(block, "image")) {
      t.images.emplace_back(bedrock_image_type(*image));
    }
  }
  return json_or_text(text);
}

void bedrock(digest& d, const json::object& root) {
  if (const auto* system = root.if_contains("system"); system && system->is_array()) {
    for (const auto& block : system->get_array()) {
      const std::string_view text = string_of(member(block, "text"));
      if (!text.empty()) d.system.emplace_back(text);
    }
  }
  if (const auto* messages = root.if_contains("messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      turn& t = d.turn_for(string_of(member(m, "role")));
      const auto* content = member(m, "content");
      if (!content || !content->is_array()) continue;
      for (const auto& block : content->get_array()) {
        if (const auto* text = member(block, "text"); text && text->is_string()) {
          d.add_text(t, text->get_string());
        } else if (const auto* image = member(block, "image")) {
          t.images.emplace_back(bedrock_image_type(*image));
        } else if (const auto* use = member(block, "toolUse")) {
          const auto* input = member(*use, "input");
          d.add_call(t, string_or_null(member(*use, "toolUseId")), string_of(member(*use, "name")),
                     input ? *input : json::value());
        } else if (const auto* result = member(block, "toolResult")) {
          json::value content_value = bedrock_result_content(member(*result, "content"), t);
          d.add_result(t, string_or_null(member(*result, "toolUseId")), nullptr, std::move(content_value));
        }
      }
    }
  }
  if (const auto* config = root.if_contains("inferenceConfig")) {
    add_stops(d, member(*config, "stopSequences"));
    set_max_tokens(d, member(*config, "maxTokens"));
  }
}

}  // namespace

std::string request_digest(std::string_view dialect, std::string_view body) {
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return R"({"error":"the request body is not a JSON object"})";
  digest d;
  const auto& o = root.get_object();
  if (dialect == "anthropic") {
    anthropic(d, o);
  } else if (dialect == "gemini") {
    gemini(d, o);
  } else if (dialect == "bedrock") {
    bedrock(d, o);
  } else {
    openai(d, o);
  }
  return d.render();
}

}  // namespace llmgw::mock
