#include "api/request_metadata.hpp"

#include <boost/json.hpp>

#include "usage/request_record.hpp"

namespace llmgw::api {

std::string metadata_json(std::string_view body) {
  if (body.find("\"metadata\"") == std::string_view::npos) return {};
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return {};
  const boost::json::value* m = doc.get_object().if_contains("metadata");
  if (m == nullptr || !m->is_object() || m->get_object().empty()) return {};
  std::string out = boost::json::serialize(*m);
  if (out.size() > usage::k_max_metadata_bytes) out.clear();
  return out;
}

}  // namespace llmgw::api
