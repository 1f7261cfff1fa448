#include "cost/litellm_prices.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace llmgw::cost {

namespace json = boost::json;

namespace {

// `"name": what`, built by appending into a fresh string: GCC 12 warns
// (-Wrestrict, wrongly) when a string literal is copied into an existing
// std::string here, whether by + or by assign.
std::string named_error(std::string_view name, std::string_view what) {
  std::string out;
  out.reserve(name.size() + what.size() + 4);
  out.push_back('"');
  out.append(name);
  out.push_back('"');
  out.push_back(':');
  out.push_back(' ');
  out.append(what);
  return out;
}

constexpr std::string_view k_input = "input_cost_per_token";
constexpr std::string_view k_output = "output_cost_per_token";
constexpr std::string_view k_cache_read = "cache_read_input_token_cost";
constexpr std::string_view k_cache_write = "cache_creation_input_token_cost";

// A price field: absent → nullopt; present and not a non-negative number
// (null counts as absent, as LiteLLM writes some) → an error.
bool read_rate(const json::object& o, std::string_view field, std::optional<double>& out, std::string& error) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return true;
  double d = -1;
  if (v->is_double()) {
    d = v->get_double();
  } else if (v->is_int64()) {
    d = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    d = static_cast<double>(v->get_uint64());
  }
  if (!(d >= 0) || d > 1.0) {  // also NaN; $1 per token is no real price
    error = std::string(field) + ": expected a number from 0 to 1 (USD per token)";
    return false;
  }
  out = d;
  return true;
}

// The N of `input_cost_per_token_above_<N>k_tokens`, when the entry has one.
std::optional<std::int64_t> tier_threshold(const json::object& o) {
  constexpr std::string_view prefix = "input_cost_per_token_above_";
  constexpr std::string_view suffix = "k_tokens";
  std::optional<std::int64_t> lowest;
  for (const auto& kv : o) {
    const std::string_view key = kv.key();
    if (!key.starts_with(prefix) || !key.ends_with(suffix) || key.size() <= prefix.size() + suffix.size()) continue;
    const std::string_view digits = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n <= 0) continue;
    if (!lowest || n < *lowest) lowest = n;
  }
  if (lowest) *lowest *= 1000;
  return lowest;
}

// Rates of one tier: `suffix` is "" for the base, "_above_200k_tokens" for a tier.
bool read_rates(const json::object& o, std::string_view suffix, const token_rates* base, token_rates& out, bool& any,
                std::string& error) {
  std::optional<double> in, outp, read, write;
  const auto name = [&](std::string_view f) { return std::string(f) + std::string(suffix); };
  if (!read_rate(o, name(k_input), in, error) || !read_rate(o, name(k_output), outp, error) ||
      !read_rate(o, name(k_cache_read), read, error) || !read_rate(o, name(k_cache_write), write, error)) {
    return false;
  }
  any = in || outp;
  const double input = in.value_or(base ? base->input : 0);
  out.input = input;
  out.output = outp.value_or(base ? base->output : 0);
  // Without their own price, cache tokens cost what input tokens cost; a
  // tier without one scales the base tier's discount.
  const double scale = base && base->input > 0 ? input / base->input : 1;
  out.cached_input = read.value_or(base ? base->cached_input * scale : input);
  out.cache_write = write.value_or(base ? base->cache_write * scale : input);
  return true;
}

}  // namespace

std::optional<price_table> read_litellm_prices(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec) {
    error = "not valid JSON (" + ec.message() + ")";
    return std::nullopt;
  }
  if (!root.is_object()) {
    error = "expected a JSON object of model names";
    return std::nullopt;
  }
  price_table table;
  for (const auto& kv : root.get_object()) {
    const std::string_view name = kv.key();
    if (name == "sample_spec" || name.empty()) continue;
    if (!kv.value().is_object()) {
      error = named_error(name, "expected an object");
      return std::nullopt;
    }
    const json::object& o = kv.value().get_object();
    model_price p;
    bool any = false;
    std::string why;
    if (!read_rates(o, "", nullptr, p.base, any, why)) {
      error = named_error(name, why);
      return std::nullopt;
    }
    if (!any) continue;
    if (const auto above = tier_threshold(o)) {
      const std::string suffix = "_above_" + std::to_string(*above / 1000) + "k_tokens";
      bool tier_any = false;
      if (!read_rates(o, suffix, &p.base, p.tier, tier_any, why)) {
        error = named_error(name, why);
        return std::nullopt;
      }
      p.tier_above = *above;
    }
    table.set(name, p);
  }
  return table;
}

std::optional<price_table> load_litellm_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the prices file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = path + ": cannot read the prices file";
    return std::nullopt;
  }
  std::string why;
  auto table = read_litellm_prices(text.str(), why);
  if (!table) error = path + ": " + why;
  return table;
}

}  // namespace llmgw::cost
