#pragma once
// The Prometheus text exposition format (version 0.0.4), written into one
// string: a family's `# HELP` and `# TYPE` lines, then its samples, label
// values escaped. Knows nothing of what is measured.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace llmgw::metrics {

inline constexpr std::string_view k_content_type = "text/plain; version=0.0.4; charset=utf-8";

using label = std::pair<std::string_view, std::string_view>;  // name, value

class exposition {
 public:
  // `type`: counter, gauge or histogram. Once per family, before its samples.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<label> labels, double value);
  void sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value);
  // A histogram's samples: `buckets` holds one count per bound plus the
  // +Inf one, not cumulated (this writes the cumulative `_bucket` lines,
  // `_sum` and `_count`).
  void histogram(std::string_view name, std::initializer_list<label> labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> buckets, double sum);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void begin(std::string_view name, std::initializer_list<label> labels, std::string_view extra_name = {},
             std::string_view extra_value = {});

  std::string out_;
};

// A label value as the format wants it: backslash, double quote and line
// feed escaped. Appends to `out`.
void append_label_value(std::string& out, std::string_view value);
// A sample value: integers exactly, others in the shortest form that reads
// back the same; NaN and infinities as the format spells them.
void append_number(std::string& out, double value);

}  // namespace llmgw::metrics
