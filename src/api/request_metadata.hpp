#pragma once
// The `metadata` object of an OpenAI request (the client's own tags: up to
// 16 string pairs), for its usage record.
#include <string>
#include <string_view>

namespace llmgw::api {

// The top-level `metadata` object of `body` as compact JSON; empty when there
// is none, it is not an object, or it is longer than the record keeps. Costs
// one search of the body when the request has no metadata.
std::string metadata_json(std::string_view body);

}  // namespace llmgw::api
