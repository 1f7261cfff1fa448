#include "api/access_log.hpp"

namespace llmgw::api {

void copy_record(const access_record& r, std::chrono::system_clock::time_point ended, usage::request_record& out) {
  out.ended = ended;
  usage::assign_field(out.request_id, r.request_id);
  usage::assign_field(out.method, r.method);
  usage::assign_field(out.path, r.path);
  usage::assign_field(out.key_name, r.key_name);
  usage::assign_field(out.model, r.model);
  usage::assign_field(out.served_model, r.served_model);
  usage::assign_field(out.provider, r.provider);
  usage::assign_field(out.error, r.error);
  out.status = r.status;
  out.stream = r.stream;
  out.attempts = r.attempts;
  out.latency_ms = r.latency_ms;
  out.ttfb_ms = r.ttfb_ms;
  out.prompt_tokens = r.prompt_tokens;
  out.completion_tokens = r.completion_tokens;
  out.total_tokens = r.total_tokens;
  out.cached_tokens = r.cached_tokens;
}

}  // namespace llmgw::api
