#include "core/secret_scrubber.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace llmgw {

namespace {

constexpr std::uint64_t k_multiplier = 0x9E3779B97F4A7C15ull;  // odd, well mixed (golden ratio)
// Bitmap bits per indexed window: about one false hit in 128 positions,
// each settled by a binary search. (More bits measured no faster.)
constexpr std::size_t k_bits_per_window = 128;
constexpr std::size_t k_min_bits = std::size_t{1} << 13;
constexpr std::size_t k_max_bits = std::size_t{1} << 23;

std::uint64_t load(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

bool indexable(std::string_view window) {
  for (char c : window) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

secret_scrubber::secret_scrubber(std::span<const std::string_view> secrets) {
  for (std::string_view s : secrets) {
    if (s.size() < k_min_fragment) continue;
    for (std::size_t i = 0; i + k_min_fragment <= s.size(); ++i) {
      if (indexable(s.substr(i, k_min_fragment))) windows_.push_back(load(s.data() + i));
    }
  }
  std::sort(windows_.begin(), windows_.end());
  windows_.erase(std::unique(windows_.begin(), windows_.end()), windows_.end());
  if (windows_.empty()) return;
  const std::size_t bits = std::clamp(std::bit_ceil(windows_.size() * k_bits_per_window), k_min_bits, k_max_bits);
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(bits));
  bits_.assign(bits / 64, 0);
  for (std::uint64_t w : windows_) {
    const std::uint64_t h = (w * k_multiplier) >> shift_;
    bits_[h >> 6] |= std::uint64_t{1} << (h & 63);
  }
}

bool secret_scrubber::is_window(const char* p) const {
  const std::uint64_t w = load(p);
  const std::uint64_t h = (w * k_multiplier) >> shift_;
  if (((bits_[h >> 6] >> (h & 63)) & 1) == 0) return false;
  return std::binary_search(windows_.begin(), windows_.end(), w);
}

std::optional<secret_scrubber::match> secret_scrubber::find(std::string_view text, std::size_t from) const {
  if (windows_.empty() || text.size() < k_min_fragment) return std::nullopt;
  const char* p = text.data();
  const std::size_t last = text.size() - k_min_fragment;  // last window start
  const std::uint64_t* bits = bits_.data();
  const unsigned shift = shift_;
  for (std::size_t i = from; i <= last; ++i) {
    // The hot loop: one load, one multiply, one bit test per byte; the
    // exact comparison runs only on the rare bitmap hit.
    const std::uint64_t h = (load(p + i) * k_multiplier) >> shift;
    if (((bits[h >> 6] >> (h & 63)) & 1) == 0) continue;
    if (!std::binary_search(windows_.begin(), windows_.end(), load(p + i))) continue;
    // Grow the run while a window starting inside it is a secret window
    // too: overlapping fragments (of one secret or two) become one run.
    match m{i, i + k_min_fragment};
    for (std::size_t j = i + 1; j < m.end && j <= last; ++j) {
      if (is_window(p + j)) m.end = j + k_min_fragment;
    }
    return m;
  }
  return std::nullopt;
}

std::size_t secret_scrubber::scrub(std::string& text) const {
  auto m = find(text);
  if (!m) return 0;
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  std::size_t count = 0;
  while (m) {
    out.append(text, pos, m->begin - pos);
    out.append(k_replacement);
    pos = m->end;
    ++count;
    m = find(text, pos);
  }
  out.append(text, pos);
  text.swap(out);
  return count;
}

std::string secret_scrubber::scrubbed(std::string_view text) const {
  std::string out(text);
  scrub(out);
  return out;
}

}  // namespace llmgw
