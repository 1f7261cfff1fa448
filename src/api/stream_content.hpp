#pragma once
// Whether a stream has said anything yet. A relayed stream's response head
// is held back until its first content event, so that a vendor failing
// before it (an error event, a cut connection) can be failed over like an
// HTTP error: the client never sees the attempt that failed. Content is a
// non-empty text, reasoning or tool-call delta; a role-only or empty chunk,
// message_start, a ping or a comment is not. Read from the bytes in the
// client's API, whatever the vendor spoke, and only until content is seen
// (then the probe is no longer fed: no per-event cost for the rest).
#include <optional>
#include <string_view>

#include "api/client_api.hpp"
#include "core/gateway_error.hpp"
#include "core/sse_reader.hpp"

namespace llmgw::api {

// One OpenAI chat.completion.chunk's data: a choice's delta carries text
// (content, refusal, reasoning) or a tool call.
bool openai_chunk_has_content(std::string_view data);
// One Anthropic Messages event: a content_block_delta with non-empty text,
// thinking or tool input, or the start of a tool_use block (its name).
bool anthropic_event_has_content(std::string_view event, std::string_view data);

class content_probe {
 public:
  // `provider`: the deployment's name, for an error event that says nothing itself.
  content_probe(client_api api, std::string_view provider) : api_(api), provider_(provider) {}

  // Client-bound bytes, split anywhere. True once content has been seen.
  bool feed(std::string_view bytes);
  bool seen() const { return seen_; }
  // An error event seen before content (the vendor's own, or the one a
  // translation wrote for it): what it said, and the vendor status it
  // stands for (Anthropic's 529 stays 529, so a group's retry_on sees it).
  const std::optional<gateway_error>& error() const { return error_; }
  int error_status() const { return error_status_; }

 private:
  void on_error(std::string_view event, std::string_view data);

  client_api api_;
  std::string_view provider_;
  sse_reader reader_;
  sse_event event_;
  bool seen_ = false;
  std::optional<gateway_error> error_;
  int error_status_ = 0;
};

}  // namespace llmgw::api
