#include "api/models.hpp"

#include <boost/url/pct_string_view.hpp>

#include "core/json_escape.hpp"

namespace llmgw::api {

void append_model(std::string& out, const model_info& m) {
  out.append("{\"id\":");
  append_json_string(out, m.id);
  // No creation time is known for a routed model; 0 keeps the field an integer as the SDKs type it.
  out.append(",\"object\":\"model\",\"created\":0,\"owned_by\":");
  append_json_string(out, m.owned_by);
  out.push_back('}');
}

void append_model_list(std::string& out, std::span<const model_info> models) {
  out.append("{\"object\":\"list\",\"data\":[");
  bool first = true;
  for (const auto& m : models) {
    if (!first) out.push_back(',');
    first = false;
    append_model(out, m);
  }
  out.append("]}");
}

std::optional<std::string> model_id_from_path(std::string_view rest) {
  auto encoded = boost::urls::make_pct_string_view(rest);
  if (!encoded) return std::nullopt;
  std::string id = encoded->decode();
  if (id.empty()) return std::nullopt;
  return id;
}

const model_info* find_model(std::span<const model_info> models, std::string_view id) {
  for (const auto& m : models) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

}  // namespace llmgw::api
