#include "api/body_model.hpp"

#include <boost/json.hpp>

namespace llmgw::api {

std::string with_model(std::string_view json_body, std::string_view model) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(json_body, ec);
  // Bodies reaching here were validated; keep anything else as it was.
  if (ec || !doc.is_object()) return std::string(json_body);
  doc.get_object()["model"] = model;
  return boost::json::serialize(doc);
}

}  // namespace llmgw::api
