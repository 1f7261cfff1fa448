#pragma once
// Every price the gateway knows, in the order they win: a deployment's own
// `price:` (passed in by the caller), the config's `prices:`, the
// prices_file, the built-in table. Immutable: a reload builds a new catalog
// and swaps it in (price_book.hpp).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/price_config.hpp"
#include "cost/price.hpp"
#include "cost/price_table.hpp"

namespace llmgw::cost {

// A configured price (USD per million tokens) as the tables hold it.
model_price from_config(const price_config& c);

// The config's `prices:` as a table.
price_table table_from_config(const std::map<std::string, price_config, std::less<>>& prices);

struct price_catalog {
  std::shared_ptr<const price_table> configured;  // `prices:`; may be null
  std::shared_ptr<const price_table> file;        // prices_file; null: none
  const price_table* builtin = nullptr;           // null: none (tests)

  // The price of `model` served by `provider` of vendor `family`;
  // `deployment` first when it has its own. nullopt: unknown — the cost
  // stays unknown, never $0.
  std::optional<model_price> find(const price_config* deployment, std::string_view provider, std::string_view family,
                                  std::string_view model) const;
};

// Requests that had token counts but no price for their model, since the
// process started (for the metrics).
std::uint64_t unpriced_requests();
void count_unpriced_request();

}  // namespace llmgw::cost
