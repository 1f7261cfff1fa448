#pragma once
// Model string → ordered deployments to try. Built once from a config and
// immutable afterwards, so one router is shared by every worker thread.
//
// Resolution order:
//   1. `vendor/model` when `vendor` names an enabled provider: the rest is the
//      vendor's own model id, verbatim (`groq/openai/gpt-oss-120b` → groq,
//      `openai/gpt-oss-120b`);
//   2. aliases (the target is resolved again, through these same rules);
//   3. model groups (weighted first pick, then the others as failover);
//   4. built-in prefix rules (`gpt-` → openai, `claude-` → anthropic, ...),
//      only when that vendor is enabled;
//   otherwise 404 model_not_found naming the model, saying which vendor lacks
//   a key when that is why.
// A model string, or a vendor model id it resolves to, that is empty or a
// dot segment ("azure/..", "%2e%2e") is a 400 naming `model`: some vendors
// put the id in the URL path (core/path_segment.hpp).
#include "config/config.hpp"
#include "core/gateway_error.hpp"
#include "routing/vendors.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw {

// Why an attempt is in a route: the model's own deployments, a fallback
// model, or a fallback asked only for one kind of refusal.
enum class attempt_kind : std::uint8_t { own, fallback, context_window, content_policy };

struct route_attempt {
  const provider_config* provider = nullptr;  // owned by the router
  std::string model;                          // the vendor's model id, sent upstream
  unsigned weight = 1;
  bool model_rewritten = false;  // model differs from the client's string: the body must be rewritten
  // The deployment's own quota (model groups only; nullptr: none). Owned by the router.
  const rate_limits* limits = nullptr;
  // Its index among every group deployment of the router (for per-deployment
  // measurements and cooldowns); k_no_deployment outside groups.
  std::size_t deployment = k_no_deployment;
  static constexpr std::size_t k_no_deployment = static_cast<std::size_t>(-1);
  // The deployment's own price (model groups only; nullptr: the model's). Owned by the router.
  const price_config* price = nullptr;
  attempt_kind kind = attempt_kind::own;
};

struct route {
  std::string requested_model;          // the client's string, as sent
  std::vector<route_attempt> attempts;  // [0] first, the rest in failover order; never empty
  // The group's strategy, retries, cooldown and timeouts when it was written
  // as an object; nullptr: today's behaviour (each deployment once).
  const group_policy* policy = nullptr;
  // With a policy: the group's index among the groups that have one (for
  // per-group state such as the hedge budget), below router::policy_count().
  std::size_t policy_index = 0;
};

// One entry of /v1/models.
struct model_info {
  std::string id;
  std::string owned_by;  // vendor name; "llmgw" for model groups
};

// Errors are values: the gateway_error to send back (404 model_not_found).
using route_result = boost::system::result<route, gateway_error>;

class router {
 public:
  // Throws config_error when a model group names an unknown provider.
  // Deployments on known but disabled providers are dropped (see warnings()).
  explicit router(const config& cfg);

  // Routes hold pointers to the router's providers: a copy would dangle.
  router(const router&) = delete;
  router& operator=(const router&) = delete;
  router(router&&) = default;
  router& operator=(router&&) = default;

  // `random` chooses a group's first deployment by weight (any uniformly
  // distributed value); passing it in keeps this function pure and testable.
  route_result resolve(std::string_view model, std::uint64_t random) const;
  // The same with a per-thread random source.
  route_result resolve(std::string_view model) const;

  // Every routable model id: groups, aliases, then each enabled vendor's known
  // models, bare when the bare id routes to that vendor, else `vendor/model`.
  const std::vector<model_info>& list_models() const { return models_; }

  const provider_config* find_provider(std::string_view name) const;
  const std::vector<provider_config>& providers() const { return providers_; }
  // How many deployments the groups have in all (route_attempt::deployment < this).
  std::size_t deployment_count() const { return deployment_count_; }
  // Groups written as objects (they have a policy); route::policy_index is below it.
  std::size_t policy_count() const { return policy_count_; }
  // The policy of group `policy_index` (for per-group state built at start).
  const group_policy& policy_at(std::size_t policy_index) const;
  // Each group deployment by route_attempt::deployment: what names it the
  // same way in every instance, whatever the order of its configuration.
  struct deployment_ref {
    std::string group;
    std::string provider;
    std::string model;   // the vendor's model id
    bool rests = false;  // its group has a policy, hence a cooldown
  };
  const std::vector<deployment_ref>& deployments() const { return deployments_; }
  // Every group deployment as an attempt, indexed by its deployment number
  // (to price them all at once: the cost strategy's prices).
  std::vector<route_attempt> deployment_attempts() const;

  // Configuration problems that do not stop start-up, for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct group_member {
    const provider_config* provider;
    std::string model;
    unsigned weight;
    rate_limits limits;
    std::size_t deployment;
    std::optional<price_config> price;
  };
  struct group {
    std::vector<group_member> members;  // enabled ones, in config order
    std::optional<group_policy> policy;
    std::size_t policy_index = 0;
    std::vector<std::size_t> failover;  // member indexes by weight, heaviest first
    std::uint64_t total_weight = 0;
  };

  // Fills `out` and returns true, or returns false with `why` saying what is
  // missing (empty when the model is simply unknown). `hops` bounds aliases.
  bool resolve_into(std::string_view model, std::uint64_t random, int hops, route& out, std::string& why,
                    bool with_fallbacks = true) const;
  // Appends the deployments of each of `models` (without their own fallbacks) as `kind`.
  void add_fallbacks(const std::vector<std::string>& models, attempt_kind kind, std::uint64_t random, route& r) const;
  static void pick(const group& g, std::uint64_t random, std::vector<route_attempt>& out);
  void build_model_list();

  std::vector<provider_config> providers_;
  std::map<std::string, std::string, std::less<>> aliases_;
  std::map<std::string, group, std::less<>> groups_;
  std::vector<model_info> models_;
  std::vector<std::string> warnings_;
  std::size_t deployment_count_ = 0;
  std::size_t policy_count_ = 0;
  std::vector<const group_policy*> policies_;  // by policy_index
  std::vector<deployment_ref> deployments_;
};

}  // namespace llmgw
