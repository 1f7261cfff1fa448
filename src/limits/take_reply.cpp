#include "limits/take_reply.hpp"

#include <charconv>
#include <optional>
#include <type_traits>

namespace llmgw::limits {

namespace {

// One request's answer; nullopt when it is not one.
std::optional<decision> decision_of(std::string_view text, std::size_t charges) {
  const char* p = text.data();
  const char* const end = p + text.size();
  // The next number: the text's first, or one after a single space.
  bool first = true;
  const auto next = [&](auto& v) {
    if (!first) {
      if (p == end || *p != ' ') return false;
      ++p;
    }
    first = false;
    if constexpr (std::is_floating_point_v<std::remove_reference_t<decltype(v)>>) {
      // Nearly always whole: read as an integer, as a double only when not.
      long long whole = 0;
      const auto [q, ec] = std::from_chars(p, end, whole);
      if (ec == std::errc{} && (q == end || *q == ' ')) {
        v = static_cast<double>(whole);
        p = q;
        return true;
      }
    }
    const auto [q, ec] = std::from_chars(p, end, v);
    p = q;
    return ec == std::errc{};
  };
  long long admitted = 0, refused = 0, never = 0, wait = 0;
  if (!next(admitted) || !next(refused) || !next(never) || !next(wait)) return std::nullopt;
  if (refused < 0 || static_cast<std::size_t>(refused) > charges) return std::nullopt;
  decision d;
  d.admitted = admitted == 1;
  d.refused = refused > 0 ? static_cast<std::size_t>(refused - 1) : 0;
  d.never_fits = never == 1;
  d.retry_after = std::chrono::milliseconds(wait);
  d.states.resize(charges);
  for (auto& state : d.states) {
    long long reset = 0;
    if (!next(state.remaining) || !next(reset)) return std::nullopt;
    state.reset = std::chrono::milliseconds(reset);
  }
  if (p != end) return std::nullopt;
  return d;
}

}  // namespace

std::vector<decision> read_take_reply(std::string_view text, std::span<const std::size_t> charges) {
  std::vector<decision> out;
  out.reserve(charges.size());
  std::string_view rest = text;
  for (std::size_t i = 0; i < charges.size(); ++i) {
    const bool last = i + 1 == charges.size();
    const std::size_t cut = last ? rest.size() : rest.find(';');
    if (cut == std::string_view::npos) return {};
    auto d = decision_of(rest.substr(0, cut), charges[i]);
    if (!d) return {};
    out.push_back(std::move(*d));
    rest.remove_prefix(last ? cut : cut + 1);
  }
  return out;
}

}  // namespace llmgw::limits
