#include "core/json_escape.hpp"

#include <cstddef>
#include <cstring>

#include "core/swar.hpp"

namespace llmgw {
namespace {

constexpr std::string_view k_replacement = "\\ufffd";

// Length of the valid UTF-8 sequence starting at text[i], or 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const std::size_t left = text.size() - i;
  const auto is_cont = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
  if (lead >= 0xC2 && lead <= 0xDF) {
    return left >= 2 && is_cont(i + 1) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (left < 3 || !is_cont(i + 1) || !is_cont(i + 2)) return 0;
    if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (left < 4 || !is_cont(i + 1) || !is_cont(i + 2) || !is_cont(i + 3)) return 0;
    if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Eight bytes at a time: none needs escaping (nor a UTF-8 check).
bool plain_word(std::uint64_t w) {
  return (swar::bytes_below(w, 0x20) | (w & swar::highs) | swar::bytes_equal(w, '"') | swar::bytes_equal(w, '\\')) == 0;
}

bool plain_byte(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

bool is_plain_json_text(std::string_view text) {
  // Whole words only, no byte loop: the access log asks this of some twenty
  // short fields per line. Past the last whole word, the final eight bytes
  // are checked again (overlapping); a text under eight bytes is checked as
  // one word padded with a plain byte.
  if constexpr (swar::available) {
    const char* p = text.data();
    const std::size_t n = text.size();
    if (n < 8) {
      std::uint64_t w = swar::ones * 'a';
      std::memcpy(&w, p, n);
      return plain_word(w);
    }
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (!plain_word(swar::load(p + i))) return false;
    }
    return plain_word(swar::load(p + n - 8));
  }
  for (const char c : text) {
    if (!plain_byte(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::size_t run_start = 0;  // plain bytes are copied in runs, not one by one
  std::size_t i = 0;
  const auto flush = [&] { out.append(text.data() + run_start, i - run_start); };
  while (i < text.size()) {
    // Eight ordinary bytes at a time: most text (a prompt, a log field) has
    // nothing to escape for long stretches.
    if constexpr (swar::available) {
      if (i + 8 <= text.size()) {
        if (plain_word(swar::load(text.data() + i))) {
          i += 8;
          continue;
        }
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (plain_byte(c)) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush();
      out.append(k_replacement);
      run_start = ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', k_hex[c >> 4], k_hex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
    run_start = ++i;
  }
  flush();
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

}  // namespace llmgw
