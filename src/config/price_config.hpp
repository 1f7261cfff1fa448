#pragma once
// A price the user configured, in USD per million tokens as price pages
// quote them: `prices:` per model at the top level, `price:` per deployment
// of a model group. The gateway's price tables live in cost/.
#include <optional>

namespace llmgw {

struct price_config {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
  std::optional<double> cached_input_per_mtok;  // absent: the input price
  std::optional<double> cache_write_per_mtok;   // absent: the input price
  bool operator==(const price_config&) const = default;
};

}  // namespace llmgw
