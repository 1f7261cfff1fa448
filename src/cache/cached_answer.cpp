#include "cache/cached_answer.hpp"

#include <boost/json.hpp>

#include "providers/anthropic_inbound.hpp"

namespace llmgw::cache {

namespace json = boost::json;

namespace {

std::string_view string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// Anthropic stop_reason → OpenAI finish_reason; empty when there is none
// (pause_turn: the answer is not complete).
std::string_view finish_reason_of(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return {};
}

void append_text(providers::chat_completion& c, std::string_view text) {
  if (!c.content) c.content.emplace();
  c.content->append(text);
}

}  // namespace

std::size_t cached_answer::bytes() const {
  std::size_t n = sizeof(*this) + model.size() + json_body.size() + completion.finish_reason.size();
  if (completion.content) n += completion.content->size();
  for (const auto& t : completion.tool_calls) n += sizeof(t) + t.id.size() + t.name.size() + t.arguments.size();
  return n;
}

std::string render_openai_json(const cached_answer& a) {
  if (!a.json_body.empty() && a.json_api == answer_api::openai) return a.json_body;
  return providers::render_chat_completion(a.completion, a.model);
}

std::string render_openai_stream(const cached_answer& a, std::string_view id, std::int64_t created,
                                 bool include_usage) {
  providers::chunk_writer w(std::string(id), created, a.model, include_usage);
  std::string out;
  w.role(out);
  if (a.completion.content && !a.completion.content->empty()) w.content(out, *a.completion.content);
  for (const auto& t : a.completion.tool_calls) {
    const int index = w.tool_call_start(out, t.id, t.name);
    if (!t.arguments.empty()) w.tool_call_arguments(out, index, t.arguments);
  }
  w.finish(out, a.completion.finish_reason);
  w.done(out, a.completion.usage);
  return out;
}

std::string render_anthropic_json(const cached_answer& a) {
  if (!a.json_body.empty() && a.json_api == answer_api::anthropic) return a.json_body;
  auto translated =
      providers::openai_to_messages_response(providers::render_chat_completion(a.completion, a.model), a.model);
  // Our own rendering always translates; the fallback is never taken.
  return translated ? std::move(*translated) : std::string();
}

std::string render_anthropic_stream(const cached_answer& a) {
  // The usage chunk is needed: it becomes message_delta's usage.
  const std::string openai = render_openai_stream(a, "chatcmpl-cached", 0, true);
  providers::messages_stream_writer w(providers::new_message_id(), a.model);
  std::string out;
  w.feed(openai, out);
  w.finish(out);
  return out;
}

std::optional<cached_answer> answer_from_openai_json(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) return std::nullopt;
  const auto* choices = doc->if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().size() != 1) return std::nullopt;
  const auto& choice = choices->get_array()[0];
  if (!choice.is_object()) return std::nullopt;
  const json::object* message = object_at(choice.get_object(), "message");
  const std::string_view finish = string_at(choice.get_object(), "finish_reason");
  if (message == nullptr || finish.empty()) return std::nullopt;
  if (const auto* refusal = message->if_contains("refusal"); refusal != nullptr && !refusal->is_null()) {
    return std::nullopt;
  }
  cached_answer a;
  a.model = std::string(string_at(*doc, "model"));
  a.completion.finish_reason = std::string(finish);
  if (const auto* content = message->if_contains("content"); content != nullptr && content->is_string()) {
    a.completion.content = std::string(content->get_string());
  }
  if (const auto* calls = message->if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
    for (const auto& c : calls->get_array()) {
      if (!c.is_object()) return std::nullopt;
      const json::object* fn = object_at(c.get_object(), "function");
      if (fn == nullptr) return std::nullopt;
      a.completion.tool_calls.push_back({std::string(string_at(c.get_object(), "id")),
                                         std::string(string_at(*fn, "name")),
                                         std::string(string_at(*fn, "arguments"))});
    }
  }
  a.json_body = std::string(body);
  a.json_api = answer_api::openai;
  return a;
}

std::optional<cached_answer> answer_from_anthropic_json(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc || string_at(*doc, "type") != "message") return std::nullopt;
  cached_answer a;
  a.model = std::string(string_at(*doc, "model"));
  const std::string_view finish = finish_reason_of(string_at(*doc, "stop_reason"));
  if (finish.empty()) return std::nullopt;
  a.completion.finish_reason = std::string(finish);
  const auto* content = doc->if_contains("content");
  if (content == nullptr || !content->is_array()) return std::nullopt;
  for (const auto& b : content->get_array()) {
    if (!b.is_object()) return std::nullopt;
    const auto& block = b.get_object();
    const std::string_view type = string_at(block, "type");
    if (type == "text") {
      append_text(a.completion, string_at(block, "text"));
    } else if (type == "tool_use") {
      const auto* input = block.if_contains("input");
      a.completion.tool_calls.push_back({std::string(string_at(block, "id")), std::string(string_at(block, "name")),
                                         input != nullptr ? json::serialize(*input) : std::string("{}")});
    } else {
      return std::nullopt;  // thinking, server tools…: not in the neutral form
    }
  }
  a.json_body = std::string(body);
  a.json_api = answer_api::anthropic;
  return a;
}

void stream_assembler::feed(std::string_view bytes) {
  if (unusable_) return;
  reader_.feed(bytes);
  sse_event event;
  while (!unusable_ && reader_.next(event)) {
    if (!event.has_data) continue;
    if (api_ == answer_api::openai) {
      on_openai(event.data);
    } else {
      on_anthropic(event.data);
    }
  }
  if (reader_.failed()) unusable_ = true;
}

void stream_assembler::on_openai(std::string_view data) {
  if (complete_) return;
  if (data == "[DONE]") {
    complete_ = true;
    return;
  }
  auto chunk = parse_object(data);
  if (!chunk || chunk->contains("error")) {
    unusable_ = true;
    return;
  }
  if (answer_.model.empty()) answer_.model = std::string(string_at(*chunk, "model"));
  const auto* choices = chunk->if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return;
  for (const auto& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const auto& choice = c.get_object();
    const auto* index = choice.if_contains("index");
    if (index != nullptr && index->is_number() && index->to_number<double>() != 0) {
      unusable_ = true;  // n > 1
      return;
    }
    if (const json::object* delta = object_at(choice, "delta")) {
      if (const auto* content = delta->if_contains("content"); content != nullptr && content->is_string()) {
        append_text(answer_.completion, content->get_string());
      }
      if (const auto* refusal = delta->if_contains("refusal"); refusal != nullptr && !refusal->is_null()) {
        unusable_ = true;
        return;
      }
      if (const auto* calls = delta->if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
        for (const auto& x : calls->get_array()) {
          if (!x.is_object()) continue;
          const auto& call = x.get_object();
          const auto* i = call.if_contains("index");
          const std::size_t at = i != nullptr && i->is_number() ? static_cast<std::size_t>(i->to_number<double>()) : 0;
          if (at > answer_.completion.tool_calls.size()) {
            unusable_ = true;
            return;
          }
          if (at == answer_.completion.tool_calls.size()) answer_.completion.tool_calls.emplace_back();
          auto& t = answer_.completion.tool_calls[at];
          t.id.append(string_at(call, "id"));
          if (const json::object* fn = object_at(call, "function")) {
            t.name.append(string_at(*fn, "name"));
            t.arguments.append(string_at(*fn, "arguments"));
          }
        }
      }
    }
    if (const std::string_view finish = string_at(choice, "finish_reason"); !finish.empty()) {
      answer_.completion.finish_reason = std::string(finish);
      saw_finish_ = true;
    }
  }
}

void stream_assembler::on_anthropic(std::string_view data) {
  if (complete_) return;
  auto event = parse_object(data);
  if (!event) {
    unusable_ = true;
    return;
  }
  const std::string_view type = string_at(*event, "type");
  if (type == "message_start") {
    if (const json::object* m = object_at(*event, "message")) answer_.model = std::string(string_at(*m, "model"));
  } else if (type == "content_block_start") {
    const json::object* block = object_at(*event, "content_block");
    const std::string_view kind = block != nullptr ? string_at(*block, "type") : std::string_view();
    if (kind == "text") {
      append_text(answer_.completion, string_at(*block, "text"));
      block_is_tool_ = false;
    } else if (kind == "tool_use") {
      answer_.completion.tool_calls.push_back(
          {std::string(string_at(*block, "id")), std::string(string_at(*block, "name")), std::string()});
      block_is_tool_ = true;
    } else {
      unusable_ = true;  // thinking and other blocks: not in the neutral form
    }
  } else if (type == "content_block_delta") {
    const json::object* delta = object_at(*event, "delta");
    if (delta == nullptr) return;
    const std::string_view kind = string_at(*delta, "type");
    if (kind == "text_delta") {
      append_text(answer_.completion, string_at(*delta, "text"));
    } else if (kind == "input_json_delta" && block_is_tool_ && !answer_.completion.tool_calls.empty()) {
      answer_.completion.tool_calls.back().arguments.append(string_at(*delta, "partial_json"));
    } else {
      unusable_ = true;
    }
  } else if (type == "message_delta") {
    if (const json::object* delta = object_at(*event, "delta")) {
      const std::string_view finish = finish_reason_of(string_at(*delta, "stop_reason"));
      if (finish.empty()) {
        unusable_ = true;
        return;
      }
      answer_.completion.finish_reason = std::string(finish);
      saw_finish_ = true;
    }
  } else if (type == "message_stop") {
    complete_ = true;
  } else if (type == "error") {
    unusable_ = true;
  }
}

std::optional<cached_answer> stream_assembler::take() {
  if (!complete_ || unusable_ || !saw_finish_) return std::nullopt;
  for (auto& t : answer_.completion.tool_calls) {
    if (t.arguments.empty()) t.arguments = "{}";
  }
  complete_ = false;
  unusable_ = true;  // taken once
  return std::move(answer_);
}

bool storable(const cached_answer& a, bool store_truncated) {
  if (a.completion.finish_reason == "length") return store_truncated;
  return true;
}

}  // namespace llmgw::cache
