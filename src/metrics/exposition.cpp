#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace llmgw::metrics {

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP text escapes only backslash and line feed.
  for (char c : help) {
    if (c == '\\') {
      out_ += "\\\\";
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += c;
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void exposition::begin(std::string_view name, std::initializer_list<label> labels, std::string_view extra_name,
                       std::string_view extra_value) {
  out_ += name;
  const bool any = labels.size() > 0 || !extra_name.empty();
  if (any) out_ += '{';
  bool first = true;
  auto one = [&](std::string_view n, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += n;
    out_ += "=\"";
    append_label_value(out_, v);
    out_ += '"';
  };
  for (const auto& [n, v] : labels) one(n, v);
  if (!extra_name.empty()) one(extra_name, extra_value);
  if (any) out_ += '}';
  out_ += ' ';
}

void exposition::sample(std::string_view name, std::initializer_list<label> labels, double value) {
  begin(name, labels);
  append_number(out_, value);
  out_ += '\n';
}

void exposition::sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value) {
  begin(name, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void exposition::histogram(std::string_view name, std::initializer_list<label> labels, std::span<const double> bounds,
                           std::span<const std::uint64_t> buckets, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    le.clear();
    if (i < bounds.size()) {
      append_number(le, bounds[i]);
    } else {
      le = "+Inf";
    }
    begin(bucket, labels, "le", le);
    out_ += std::to_string(cumulative);
    out_ += '\n';
  }
  begin(std::string(name) + "_sum", labels);
  append_number(out_, sum);
  out_ += '\n';
  begin(std::string(name) + "_count", labels);
  out_ += std::to_string(cumulative);
  out_ += '\n';
}

}  // namespace llmgw::metrics
