#include "usage/request_record.hpp"

namespace llmgw::usage {

namespace {

// Buffers up to this size stay with their slot and are reused by the next
// record, so a worker does not allocate for its records once warm.
constexpr std::size_t k_kept_capacity = 64;

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void assign_field(std::string& to, std::string_view from) {
  if (from.size() > k_max_field_bytes) {
    std::size_t n = k_max_field_bytes;
    // Step back over continuation bytes so a character is not cut in two.
    while (n > 0 && continuation_byte(from[n])) --n;
    from = from.substr(0, n);
  }
  to.assign(from);
}

void release_large_fields(request_record& r) {
  for (std::string* s :
       {&r.request_id, &r.method, &r.path, &r.key_name, &r.model, &r.served_model, &r.provider, &r.error}) {
    if (s->capacity() > k_kept_capacity) std::string().swap(*s);
  }
}

}  // namespace llmgw::usage
