// Gemini's streamGenerateContent?alt=sse body → OpenAI chat.completion.chunk
// events. Every SSE event carries a whole GenerateContentResponse: text
// parts become content deltas, function calls arrive whole and become a
// tool call start plus one arguments chunk, finishReason the finish chunk.
#include <string>

#include "core/sse_reader.hpp"
#include "providers/gemini.hpp"

namespace llmgw::providers::gemini {

namespace {

// No Gemini event comes near this; a body that does is not a Gemini stream.
constexpr std::size_t k_max_event_bytes = 16 * 1024 * 1024;

class gemini_stream final : public stream_translator {
 public:
  explicit gemini_stream(const stream_options& o)
      : writer_(o.id, o.created, std::string(o.requested_model), o.include_usage), seed_(o.id) {}

  void feed(std::string_view bytes, std::string& out) override {
    if (error_ || ended_) return;
    reader_.feed(bytes);
    drain(out);
  }

  void finish(std::string& out) override {
    if (error_ || ended_) return;
    ended_ = true;
    // A last event without its blank line is still read: the body is over,
    // so nothing more can complete it.
    if (!reader_.pending().empty()) reader_.feed("\n\n");
    reader_.finish();
    drain(out);
    if (error_) return;
    if (!finish_seen_) {
      error_ = upstream_unavailable("The Gemini stream ended before a finishReason: the reply is incomplete.");
      return;
    }
    writer_.done(out, usage_);
  }

  const std::optional<gateway_error>& error() const override { return error_; }
  const std::optional<token_usage>& usage() const override { return usage_; }

 private:
  void drain(std::string& out) {
    sse_event ev;
    while (!error_ && reader_.next(ev)) {
      if (ev.has_data) dispatch(ev.data, out);  // Gemini sends no event, id or retry fields
    }
    if (reader_.failed()) error_ = upstream_unavailable("Gemini sent a stream event larger than 16 MiB.");
  }

  void dispatch(std::string_view data, std::string& out) {
    if (data == "[DONE]") return;
    auto read = read_response(data);
    if (read.has_error()) {
      error_ = read.error();
      return;
    }
    response_view& r = *read;
    if (r.usage) usage_ = r.usage;
    if (writer_.finished()) return;  // nothing may follow the finish chunk but usage
    if (!r.text.empty()) writer_.content(out, r.text);
    for (auto& call : r.calls) {
      const std::string id = call.id.empty() ? call_id(seed_, static_cast<std::size_t>(writer_.tool_calls())) : call.id;
      const int index = writer_.tool_call_start(out, id, call.name);
      writer_.tool_call_arguments(out, index, call.arguments);
    }
    if (!r.finish_reason.empty()) {
      finish_seen_ = true;
      writer_.finish(out, openai_finish_reason(r.finish_reason, writer_.tool_calls() > 0));
    } else if (!r.has_candidate && !r.block_reason.empty()) {
      finish_seen_ = true;  // the prompt was blocked: no candidate will come
      writer_.finish(out, "content_filter");
    }
  }

  chunk_writer writer_;
  std::string seed_;
  sse_reader reader_{k_max_event_bytes};
  bool finish_seen_ = false;
  bool ended_ = false;
  std::optional<gateway_error> error_;
  std::optional<token_usage> usage_;
};

}  // namespace

std::unique_ptr<stream_translator> make_stream_translator(const stream_options& o) {
  return std::make_unique<gemini_stream>(o);
}

}  // namespace llmgw::providers::gemini
