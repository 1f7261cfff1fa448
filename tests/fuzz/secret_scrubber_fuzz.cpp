// The scrubber against a slow reference: the input is "secret\nsecret…\n\n"
// then text; the bitmap scan must replace exactly the runs a plain set of
// every secret window finds, and must leave text without them untouched.
#include "core/secret_scrubber.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using llmgw::secret_scrubber;
constexpr std::size_t k_n = secret_scrubber::k_min_fragment;

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "secret_scrubber_fuzz", what); }

bool indexable(std::string_view w) {
  for (char c : w) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// The scrubbed text, and in `runs` how many runs were replaced.
std::string reference(std::string_view text, const std::set<std::string, std::less<>>& windows, std::size_t& runs) {
  const auto hit = [&](std::size_t at) { return at + k_n <= text.size() && windows.contains(text.substr(at, k_n)); };
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!hit(i)) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i + k_n;
    for (std::size_t j = i + 1; j < end; ++j) {
      if (hit(j)) end = j + k_n;
    }
    out.append(secret_scrubber::k_replacement);
    ++runs;
    i = end;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find("\n\n");
  const std::string_view head = split == std::string_view::npos ? std::string_view() : input.substr(0, split);
  const std::string_view text = split == std::string_view::npos ? input : input.substr(split + 2);

  std::vector<std::string_view> secrets;
  std::set<std::string, std::less<>> windows;
  for (std::size_t at = 0; at <= head.size();) {
    const std::size_t nl = std::min(head.find('\n', at), head.size());
    const std::string_view s = head.substr(at, nl - at);
    secrets.push_back(s);
    for (std::size_t i = 0; i + k_n <= s.size(); ++i) {
      if (indexable(s.substr(i, k_n))) windows.emplace(s.substr(i, k_n));
    }
    at = nl + 1;
  }
  const secret_scrubber scrubber(secrets);
  check(scrubber.empty() == windows.empty(), "empty() disagrees with the windows");
  std::string got(text);
  const std::size_t runs = scrubber.scrub(got);
  std::size_t expected_runs = 0;
  check(got == reference(text, windows, expected_runs), "differs from the reference");
  // Counted, not inferred from a change: a secret that reads "[redacted]"
  // is replaced by the same bytes (found by this target).
  check(runs == expected_runs, "run count differs from the reference's");
  return 0;
}
