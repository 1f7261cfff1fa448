#include "usage/request_record.hpp"

#include <algorithm>

namespace llmgw::usage {

namespace {

// Buffers up to this size stay with their slot and are reused by the next
// record, so a worker does not allocate for its records once warm.
constexpr std::size_t k_kept_capacity = 64;

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

void copy_attempt(const attempt_record& from, attempt_record& to) {
  assign_field(to.provider, from.provider);
  assign_field(to.model, from.model);
  assign_field(to.error, from.error);
  to.status = from.status;
  to.connect_ms = from.connect_ms;
  to.first_byte_ms = from.first_byte_ms;
  to.total_ms = from.total_ms;
  to.started_ms = from.started_ms;
}

}  // namespace

std::string_view name_of(usage_source s) {
  switch (s) {
    case usage_source::vendor:
      return "vendor";
    case usage_source::estimated:
      return "estimated";
    case usage_source::none:
      break;
  }
  return "none";
}

std::string_view name_of(cache_status s) {
  switch (s) {
    case cache_status::miss:
      return "miss";
    case cache_status::hit:
      return "hit";
    case cache_status::skip:
      return "skip";
    case cache_status::not_looked_up:
      break;
  }
  return "none";
}

void assign_field(std::string& to, std::string_view from) {
  if (from.size() > k_max_field_bytes) {
    std::size_t n = k_max_field_bytes;
    // Step back over continuation bytes so a character is not cut in two.
    while (n > 0 && continuation_byte(from[n])) --n;
    from = from.substr(0, n);
  }
  to.assign(from);
}

void copy_record(const request_record& from, request_record& to) {
  static_cast<request_values&>(to) = from;
  for (auto field : k_text_fields) assign_field(to.*field, from.*field);
  if (from.metadata.size() <= k_max_metadata_bytes) {
    to.metadata.assign(from.metadata);
  } else {
    to.metadata.clear();
  }
  const std::size_t n = std::min(from.attempts.size(), k_max_attempts);
  to.attempts.resize(n);  // keeps the slot's attempt buffers for the next record
  for (std::size_t i = 0; i < n; ++i) copy_attempt(from.attempts[i], to.attempts[i]);
  to.dropped_params.assign(from.dropped_params.begin(), from.dropped_params.end());
}

void reset_record(request_record& r) {
  static_cast<request_values&>(r) = request_values{};
  for (auto field : k_text_fields) (r.*field).clear();
  r.metadata.clear();
  r.attempts.clear();
  r.dropped_params.clear();
}

double upstream_ms(const request_record& r) {
  // Attempts begin in order; a hedge overlaps the one before it, and the
  // time both ran counts once.
  double sum = 0, covered_until = 0;
  for (const auto& a : r.attempts) {
    const double end = a.started_ms + a.total_ms;
    sum += std::max(0.0, end - std::max(a.started_ms, covered_until));
    covered_until = std::max(covered_until, end);
  }
  return sum;
}

void release_large_fields(request_record& r) {
  for (auto field : k_text_fields) {
    if ((r.*field).capacity() > k_kept_capacity) std::string().swap(r.*field);
  }
  if (r.metadata.capacity() > k_kept_capacity) std::string().swap(r.metadata);
  for (auto& a : r.attempts) {
    for (std::string* s : {&a.provider, &a.model, &a.error}) {
      if (s->capacity() > k_kept_capacity) std::string().swap(*s);
    }
  }
}

}  // namespace llmgw::usage
