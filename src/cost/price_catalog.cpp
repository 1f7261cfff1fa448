#include "cost/price_catalog.hpp"

#include <atomic>

namespace llmgw::cost {

namespace {

std::atomic<std::uint64_t> g_unpriced{0};

}  // namespace

model_price from_config(const price_config& c) {
  model_price p;
  const double in = per_mtok(c.input_per_mtok);
  p.base.input = in;
  p.base.output = per_mtok(c.output_per_mtok);
  p.base.cached_input = c.cached_input_per_mtok ? per_mtok(*c.cached_input_per_mtok) : in;
  p.base.cache_write = c.cache_write_per_mtok ? per_mtok(*c.cache_write_per_mtok) : in;
  return p;
}

price_table table_from_config(const std::map<std::string, price_config, std::less<>>& prices) {
  price_table t;
  for (const auto& [name, c] : prices) t.set(name, from_config(c));
  return t;
}

std::optional<model_price> price_catalog::find(const price_config* deployment, std::string_view provider,
                                               std::string_view family, std::string_view model) const {
  if (deployment != nullptr) return from_config(*deployment);
  for (const price_table* t : {configured.get(), file.get(), builtin}) {
    if (t == nullptr) continue;
    if (const model_price* p = t->find(provider, family, model)) return *p;
  }
  return std::nullopt;
}

std::uint64_t unpriced_requests() { return g_unpriced.load(std::memory_order_relaxed); }

void count_unpriced_request() { g_unpriced.fetch_add(1, std::memory_order_relaxed); }

}  // namespace llmgw::cost
