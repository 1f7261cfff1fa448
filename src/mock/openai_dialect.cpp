// The OpenAI wire format as a mock dialect: the mock's original API, kept
// on the fast path (simdjson request reading, hand-written responses).
#include "mock/dialect.hpp"
#include "mock/openai_rules.hpp"
#include "mock/tool_calls.hpp"

namespace llmgw::mock {

namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

class openai_stream final : public stream_writer {
 public:
  explicit openai_stream(const reply& r) : chunks_(r.meta, r.include_usage), reply_(r) {}

  void begin(std::string& out) override {
    if (reply_.call) {
      chunks_.tool_call_start(out, *reply_.call);
    } else {
      chunks_.role(out);
    }
  }
  void piece(std::string& out, std::string_view fragment) override {
    if (reply_.call) {
      chunks_.tool_call_arguments(out, fragment);
    } else {
      chunks_.content(out, fragment);
    }
  }
  void end(std::string& out) override {
    chunks_.finish(out, reply_.finish_reason);
    if (reply_.include_usage) chunks_.usage(out, reply_.usage);
    chunk_builder::done(out);
  }

 private:
  chunk_builder chunks_;
  reply reply_;
};

class openai_dialect_impl final : public dialect {
 public:
  std::string_view name() const override { return "openai"; }

  std::size_t count_images(std::string_view body) const override {
    return count_occurrences(body, {R"("type":"image_url")"});
  }

  std::optional<mock_error> check_auth(const header_lookup& headers, std::string_view,
                                       std::string_view expected_key) const override {
    // Bearer key, or Azure's api-key header.
    std::string_view key;
    if (auto auth = headers("authorization"); iequals_prefix(auth, "bearer ")) {
      key = auth.substr(7);
      while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    } else if (auto azure = headers("api-key"); !azure.empty()) {
      key = azure;
    }
    if (key.empty()) return missing_key_error();
    if (!expected_key.empty() && key != expected_key) return incorrect_key_error(key);
    return std::nullopt;
  }

  std::optional<mock_error> read_chat(std::string& body, std::string_view path_model, bool,
                                      chat_request_info& out) const override {
    if (auto e = read_chat_request(body, out, path_model)) return e;
    return openai_rule_violation(body);
  }

  std::optional<tool_call> make_tool_call(std::string_view body, std::string_view wanted) const override {
    return mock::make_tool_call(body, wanted);
  }

  void render_reply(std::string& out, const reply& r) const override {
    if (r.call) {
      append_tool_call_completion(out, r.meta, *r.call, r.usage);
    } else {
      append_chat_completion(out, r.meta, r.text, r.finish_reason, r.usage);
    }
  }

  std::string_view stream_content_type() const override { return "text/event-stream; charset=utf-8"; }
  std::unique_ptr<stream_writer> stream(const reply& r) const override { return std::make_unique<openai_stream>(r); }

  void stream_error(std::string& out) const override {
    out.append("data: ");
    out.append(render_error("The server had an error while processing your request. Sorry about that!", "server_error",
                            {}, {}));
    out.append("\n\n");
  }

  mock_error scripted_error(int status, std::string_view model) const override {
    return mock::scripted_error(status, model);
  }

  mock_error unknown_endpoint(std::string_view method, std::string_view path) const override {
    return invalid_url_error(method, path);
  }

  mock_error invalid_request(std::string_view message) const override {
    return mock_error{400, render_error(message, "invalid_request_error", {}, {})};
  }
};

}  // namespace

std::size_t count_occurrences(std::string_view body, std::initializer_list<std::string_view> markers) {
  std::size_t n = 0;
  for (auto m : markers) {
    for (auto pos = body.find(m); pos != std::string_view::npos; pos = body.find(m, pos + m.size())) ++n;
  }
  return n;
}

const dialect& openai_dialect() {
  static const openai_dialect_impl d;
  return d;
}

}  // namespace llmgw::mock
