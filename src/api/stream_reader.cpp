#include "api/stream_reader.hpp"

#include <chrono>

#include "api/usage_scan.hpp"

namespace llmgw::api {

stream_reader::stream_reader(const attempt_plan& plan, const stream_reader_options& o)
    : kind_(plan.kind), client_wants_usage_(o.client_wants_usage) {
  if (kind_ == wire::adapter) {
    providers::stream_options so;
    so.requested_model = o.requested_model;
    so.include_usage = o.client_wants_usage;
    // Built only here: a stream relayed as it is needs no id of ours.
    so.id = "chatcmpl-";
    so.id.append(o.id_suffix);
    so.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    translator_ = plan.adapter->translate_stream(so);
  }
  if (kind_ == wire::anthropic_passthrough) usage_reader_ = std::make_unique<providers::anthropic_usage_reader>();
  if (plan.to_anthropic) {
    to_anthropic_ = std::make_unique<providers::messages_stream_writer>(providers::new_message_id(),
                                                                        std::string(o.requested_model));
  }
}

void stream_reader::feed(std::string_view in, bool ended, std::string& out, std::string& scratch) {
  // Where this read's output starts: a caller may keep earlier output in `out`.
  const std::size_t start = out.size();
  if (translator_) {
    if (!in.empty()) translator_->feed(in, out);
    if (ended) translator_->finish(out);
    if (translator_->error()) failure_ = *translator_->error();
    if (translator_->usage()) usage_ = *translator_->usage();
  } else if (usage_reader_) {
    if (!in.empty()) {
      usage_reader_->feed(in);
      if (usage_reader_->usage()) usage_ = *usage_reader_->usage();
      out.append(in);
    }
  } else if (!in.empty()) {
    sse_.feed(in);
    while (sse_.next(event_)) {
      if (event_.has_data && mentions_usage_object(event_.data)) {
        if (auto u = scan_usage(event_.data)) {
          usage_ = *u;
          if (!client_wants_usage_ && is_usage_only_chunk(event_.data)) continue;
        }
      }
      out.append(event_.raw);
    }
    if (sse_.failed()) protocol_error_ = true;
  }
  if (to_anthropic_) {
    scratch.clear();
    const std::string_view produced = std::string_view(out).substr(start);
    if (!produced.empty()) to_anthropic_->feed(produced, scratch);
    if (ended && !failure_) to_anthropic_->finish(scratch);
    if (start == 0) {
      out.swap(scratch);
    } else {
      out.resize(start);
      out.append(scratch);
    }
  }
}

}  // namespace llmgw::api
