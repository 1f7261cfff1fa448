#pragma once
// The gateway's own table of public list prices (standard tier, USD), for
// the main models of every vendor it speaks to. A prices_file in LiteLLM's
// format and the config's `prices:` take precedence (price_catalog.hpp).
#include "cost/price_table.hpp"

namespace llmgw::cost {

// Built once, immutable.
const price_table& builtin_prices();

}  // namespace llmgw::cost
