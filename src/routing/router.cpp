#include "routing/router.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "core/path_segment.hpp"

namespace llmgw {
namespace {

struct prefix_rule {
  std::string_view prefix;
  std::string_view vendor;
};

// Bare model ids that clearly belong to one vendor. Checked in order; the
// first matching prefix decides, enabled or not.
constexpr prefix_rule k_prefix_rules[] = {
    {"gpt-", "openai"},        {"o1", "openai"},        {"o3", "openai"},
    {"o4", "openai"},          {"chatgpt-", "openai"},  {"text-embedding-", "openai"},
    {"claude-", "anthropic"},  {"llama", "groq"},       {"mixtral", "groq"},
    {"gemma", "groq"},         {"mistral-", "mistral"}, {"codestral", "mistral"},
    {"deepseek-", "deepseek"}, {"grok-", "xai"},        {"gemini-", "gemini"},
};

// 400 naming `model`: `vendor_model` (what `model` resolved to) is empty or
// a dot segment.
gateway_error unusable_model(std::string_view model, std::string_view vendor_model) {
  std::string message = "Invalid 'model': `" + std::string(model) + "`";
  if (vendor_model != model) message += " names the vendor model `" + std::string(vendor_model) + "`, which";
  message += " cannot be sent to a vendor: a model id must not be empty, \".\" or \"..\" (also when percent-encoded).";
  return invalid_request(std::move(message), "model");
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

}  // namespace

router::router(const config& cfg) : providers_(cfg.providers), aliases_(cfg.aliases) {
  for (const auto& [name, deployments] : cfg.model_groups) {
    group g;
    const bool rests = cfg.group_policies.contains(name);
    for (std::size_t i = 0; i < deployments.size(); ++i) {
      const deployment_entry& d = deployments[i];
      const provider_config* p = find_provider(d.provider);
      if (p == nullptr) {
        throw config_error((d.where.empty() ? cfg.source : d.where) + ": model_groups." + name + "[" +
                           std::to_string(i) + "].provider: unknown provider " + quoted(d.provider));
      }
      if (!p->enabled) {
        // A group may list vendors that only some deployments have keys for.
        warnings_.push_back("model group " + quoted(name) + ": skipping " + d.provider + "/" + d.model + ": vendor " +
                            quoted(d.provider) + " " + p->disabled_reason);
        continue;
      }
      g.members.push_back({p, d.model, d.weight, d.limits, deployment_count_++, d.price});
      deployments_.push_back({name, p->name, d.model, rests});
      g.total_weight += d.weight;
    }
    if (auto policy = cfg.group_policies.find(name); policy != cfg.group_policies.end()) {
      g.policy = policy->second;
      g.policy_index = policy_count_++;
    }
    if (g.members.empty()) {
      warnings_.push_back("model group " + quoted(name) + " has no deployment on an enabled vendor");
    }
    g.failover.resize(g.members.size());
    for (std::size_t i = 0; i < g.failover.size(); ++i) g.failover[i] = i;
    std::stable_sort(g.failover.begin(), g.failover.end(),
                     [&](std::size_t a, std::size_t b) { return g.members[a].weight > g.members[b].weight; });
    groups_.emplace(name, std::move(g));
  }
  policies_.resize(policy_count_);
  for (const auto& [name, g] : groups_) {
    if (!g.policy) continue;
    policies_[g.policy_index] = &*g.policy;
    for (const auto* list :
         {&g.policy->fallbacks, &g.policy->context_window_fallbacks, &g.policy->content_policy_fallbacks}) {
      for (const auto& m : *list) {
        route f;
        std::string why;
        if (!resolve_into(m, 0, 0, f, why, false))
          warnings_.push_back("model group " + quoted(name) + ": fallback " + quoted(m) + " cannot be routed" +
                              (why.empty() ? "" : ": " + why));
      }
    }
  }
  build_model_list();
}

const group_policy& router::policy_at(std::size_t policy_index) const { return *policies_[policy_index]; }

const provider_config* router::find_provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

route_result router::resolve(std::string_view model, std::uint64_t random) const {
  // Model ids become URL path segments for some vendors (Azure, Gemini,
  // Bedrock); an empty id or a dot segment would move the request to
  // another endpoint, so neither the client's string nor any vendor id it
  // resolves to may be one, whichever vendor serves it.
  if (!usable_in_path(model)) return unusable_model(model, model);
  route r;
  std::string why;
  if (!resolve_into(model, random, 0, r, why)) {
    gateway_error e = model_not_found(model);
    if (!why.empty()) e.message = "The model `" + std::string(model) + "` is not available: " + why + ".";
    return e;
  }
  for (const auto& a : r.attempts) {
    if (!usable_in_path(a.model)) return unusable_model(model, a.model);
  }
  r.requested_model = std::string(model);
  for (auto& a : r.attempts) a.model_rewritten = a.model != model;
  return r;
}

route_result router::resolve(std::string_view model) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return resolve(model, rng());
}

void router::add_fallbacks(const std::vector<std::string>& models, attempt_kind kind, std::uint64_t random,
                           route& r) const {
  for (const auto& m : models) {
    route f;
    std::string ignored;
    if (!resolve_into(m, random, 0, f, ignored, false)) continue;  // its vendor has no key: warned at start
    for (auto& a : f.attempts) {
      if (!usable_in_path(a.model)) continue;
      a.kind = kind;
      r.attempts.push_back(std::move(a));
    }
  }
}

bool router::resolve_into(std::string_view model, std::uint64_t random, int hops, route& r, std::string& why,
                          bool with_fallbacks) const {
  std::vector<route_attempt>& out = r.attempts;
  // 1. vendor/model
  const provider_config* named_vendor = nullptr;
  if (const auto slash = model.find('/'); slash != std::string_view::npos && slash > 0) {
    named_vendor = find_provider(model.substr(0, slash));
    if (named_vendor != nullptr && named_vendor->enabled) {
      const std::string_view vendor_model = model.substr(slash + 1);  // empty: refused by resolve()
      out.push_back({named_vendor, std::string(vendor_model), 1, false, nullptr, route_attempt::k_no_deployment});
      return true;
    }
  }

  // 2. aliases (their targets go through every rule again)
  if (auto it = aliases_.find(model); it != aliases_.end()) {
    // Cycles are rejected at load; this bound is only a safety net.
    if (hops >= k_max_alias_hops) {
      why = "alias chain too long at " + quoted(model);
      return false;
    }
    if (resolve_into(it->second, random, hops + 1, r, why, with_fallbacks)) return true;
    why =
        "alias " + quoted(model) + " -> " + quoted(it->second) + (why.empty() ? " names an unknown model" : ": " + why);
    return false;
  }

  // 3. model groups
  if (auto it = groups_.find(model); it != groups_.end()) {
    if (it->second.members.empty()) {
      why = "model group " + quoted(model) + " has no deployment on an enabled vendor";
      return false;
    }
    pick(it->second, random, out);
    if (it->second.policy && with_fallbacks) {
      const group_policy& p = *it->second.policy;
      r.policy = &p;
      r.policy_index = it->second.policy_index;
      add_fallbacks(p.fallbacks, attempt_kind::fallback, random, r);
      add_fallbacks(p.context_window_fallbacks, attempt_kind::context_window, random, r);
      add_fallbacks(p.content_policy_fallbacks, attempt_kind::content_policy, random, r);
    }
    return true;
  }

  // 4. built-in prefix rules
  for (const prefix_rule& rule : k_prefix_rules) {
    if (!model.starts_with(rule.prefix)) continue;
    const provider_config* p = find_provider(rule.vendor);
    if (p != nullptr && p->enabled) {
      out.push_back({p, std::string(model), 1, false, nullptr, route_attempt::k_no_deployment});
      return true;
    }
    if (p != nullptr) why = "it is served by vendor " + quoted(rule.vendor) + ", which " + p->disabled_reason;
    return false;
  }

  if (named_vendor != nullptr) why = "vendor " + quoted(named_vendor->name) + " " + named_vendor->disabled_reason;
  return false;
}

void router::pick(const group& g, std::uint64_t random, std::vector<route_attempt>& out) {
  std::size_t first = g.failover.front();  // all weights 0: the first listed
  if (g.total_weight > 0) {
    std::uint64_t r = random % g.total_weight;
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      if (r < g.members[i].weight) {
        first = i;
        break;
      }
      r -= g.members[i].weight;
    }
  }
  out.reserve(g.members.size());
  const auto add = [&](std::size_t i) {
    const group_member& m = g.members[i];
    out.push_back({m.provider, m.model, m.weight, false, m.limits.any() ? &m.limits : nullptr, m.deployment,
                   m.price ? &*m.price : nullptr});
  };
  add(first);
  for (std::size_t i : g.failover) {
    if (i != first) add(i);
  }
}

std::vector<route_attempt> router::deployment_attempts() const {
  std::vector<route_attempt> out(deployment_count_);
  for (const auto& [name, g] : groups_) {
    for (const group_member& m : g.members) {
      out[m.deployment] = {m.provider,
                           m.model,
                           m.weight,
                           false,
                           m.limits.any() ? &m.limits : nullptr,
                           m.deployment,
                           m.price ? &*m.price : nullptr};
    }
  }
  return out;
}

void router::build_model_list() {
  std::set<std::string, std::less<>> seen;
  const auto add = [&](std::string id, std::string owned_by) {
    if (seen.insert(id).second) models_.push_back({std::move(id), std::move(owned_by)});
  };
  for (const auto& [name, g] : groups_) {
    if (!g.members.empty()) add(name, "llmgw");
  }
  for (const auto& [name, target] : aliases_) {
    if (auto r = resolve(name, 0)) add(name, r->attempts.front().provider->name);
  }
  for (const auto& p : providers_) {
    if (!p.enabled) continue;
    for (const auto& m : p.models) {
      // The bare id is shown only when it routes to this very vendor and model.
      const auto r = resolve(m, 0);
      const bool bare_routes_here =
          r && r->attempts.size() == 1 && r->attempts.front().provider == &p && r->attempts.front().model == m;
      if (bare_routes_here && !seen.contains(m)) {
        add(m, p.name);
      } else {
        add(p.name + "/" + m, p.name);
      }
    }
  }
}

}  // namespace llmgw
