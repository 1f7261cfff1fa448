#pragma once
// simdjson On-Demand for the mock's request readers (every dialect): one
// parser per thread, and bodies padded in place.
#include <simdjson.h>

#include <string>

namespace llmgw::mock {

// One parser per thread: its buffers grow to the largest body once and are
// reused, and no lock is needed (the mock may run on several workers).
simdjson::ondemand::parser& thread_parser();

// simdjson reads up to SIMDJSON_PADDING bytes past the end: grow the
// capacity (a no-op once the connection's reused body string is large
// enough) instead of copying the body into a padded string.
simdjson::padded_string_view padded(std::string& body);

}  // namespace llmgw::mock
