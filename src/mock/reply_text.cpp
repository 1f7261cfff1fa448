#include "mock/reply_text.hpp"

#include <array>

namespace llmgw::mock {

namespace {

// Filler words, each one token; cycled to make long replies.
constexpr std::array<std::string_view, 12> k_filler = {" The", " quick", " brown", " fox", " jumps", " over",
                                                       " the", " lazy",  " dog",   " and", " runs",  " on."};

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::size_t next_token_end(std::string_view text, std::size_t pos) {
  std::size_t end = pos + 1;  // a token holds at least its first byte (maybe the leading space)
  while (end < text.size() && text[end] != ' ' && end - pos < k_max_token_bytes) ++end;
  // Never cut inside a UTF-8 sequence: a token may run up to 3 bytes over.
  while (end < text.size() && is_continuation(text[end])) ++end;
  return end;
}

std::size_t count_tokens(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < text.size(); pos = next_token_end(text, pos)) ++n;
  return n;
}

std::size_t prefix_of_tokens(std::string_view text, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n && pos < text.size(); ++i) pos = next_token_end(text, pos);
  return pos;
}

void append_reply_text(std::string& out, std::string_view model, std::optional<std::uint32_t> tokens) {
  const std::size_t start = out.size();
  out.append("This is a mock response from ");
  out.append(model.empty() ? std::string_view("the mock") : model);
  out.push_back('.');
  if (!tokens) return;
  std::string_view text(out.data() + start, out.size() - start);
  const std::size_t have = count_tokens(text);
  if (*tokens <= have) {
    out.resize(start + prefix_of_tokens(text, *tokens));
    return;
  }
  for (std::size_t i = 0; i < *tokens - have; ++i) out.append(k_filler[i % k_filler.size()]);
}

}  // namespace llmgw::mock
