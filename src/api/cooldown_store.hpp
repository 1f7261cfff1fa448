#pragma once
// The cooldowns every instance shares, in Redis: each operation is one call
// of api/cooldown_script.hpp through a store::redis_client, answering
// what the instances together now know of the deployment. No retries and
// no fallback here: the caller keeps its own view when Redis cannot be asked.
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/group_policy.hpp"
#include "routing/deployment_health.hpp"
#include "store/redis_error.hpp"

namespace llmgw::store {
class redis_client;
struct redis_script;
}  // namespace llmgw::store

namespace llmgw::api {

// A deployment's name across instances: group, provider and the vendor's
// model ("main/openai/gpt-4o-mini", with '%' and '/' in a part escaped as
// %25 and %2F, so no two deployments share one).
std::string cooldown_name(std::string_view group, std::string_view provider, std::string_view model);
// Its keys: "llmgw:cd:{cooldown}:s:" + name (the state) and ":f:" (failures).
std::string cooldown_state_key(std::string_view name);
std::string cooldown_failures_key(std::string_view name);

class cooldown_store {
 public:
  template <class T>
  using result = boost::system::result<T, store::redis_error>;

  // `instance`: this process's id, unique among the instances (it holds probes).
  cooldown_store(std::shared_ptr<store::redis_client> client, std::string instance);
  ~cooldown_store();

  boost::asio::awaitable<result<shared_view>> failed(std::string_view name, const cooldown_policy& p);
  boost::asio::awaitable<result<shared_view>> retry_after(std::string_view name, std::chrono::milliseconds wait);
  boost::asio::awaitable<result<shared_view>> probe_succeeded(std::string_view name);
  // Every deployment of `names` at once; `wants[i]`: this instance wants
  // the probe of names[i] (it holds it for `lease` if nobody else does).
  boost::asio::awaitable<result<std::vector<shared_view>>> poll(const std::vector<std::string>& names,
                                                                const std::vector<bool>& wants,
                                                                std::chrono::milliseconds lease);

  const std::string& instance() const { return instance_; }

 private:
  boost::asio::awaitable<result<shared_view>> one(std::vector<std::string> keys, std::vector<std::string> args);

  std::shared_ptr<store::redis_client> client_;
  std::unique_ptr<const store::redis_script> script_;
  std::string instance_;
  std::uint64_t failures_ = 0;  // numbers this instance's failures apart in the sorted sets
};

}  // namespace llmgw::api
