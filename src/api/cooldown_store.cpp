#include "api/cooldown_store.hpp"

#include <algorithm>
#include <optional>

#include "api/cooldown_script.hpp"
#include "store/redis_client.hpp"

namespace llmgw::api {

namespace {

void append_part(std::string& out, std::string_view part) {
  for (char c : part) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
}

store::redis_error unexpected(std::string what) { return {store::redis_failure::protocol, std::move(what)}; }

// One {state, ms left} pair of the script's reply.
std::optional<shared_view> view_of(const store::redis_reply& state, const store::redis_reply& left) {
  if (!state.is_integer() || !left.is_integer() || state.integer < 0 || state.integer > 3) return std::nullopt;
  shared_view v;
  v.state = static_cast<shared_state>(state.integer);
  v.left = std::chrono::milliseconds(left.integer > 0 ? left.integer : 0);
  return v;
}

std::string why_not(const store::redis_reply& r) {
  return r.is_error() ? "Redis answered: " + r.str : "unexpected reply to the cooldown script";
}

}  // namespace

std::string cooldown_name(std::string_view group, std::string_view provider, std::string_view model) {
  std::string out;
  out.reserve(group.size() + provider.size() + model.size() + 2);
  append_part(out, group);
  out += '/';
  append_part(out, provider);
  out += '/';
  append_part(out, model);
  return out;
}

std::string cooldown_state_key(std::string_view name) { return "llmgw:cd:{cooldown}:s:" + std::string(name); }
std::string cooldown_failures_key(std::string_view name) { return "llmgw:cd:{cooldown}:f:" + std::string(name); }

cooldown_store::cooldown_store(std::shared_ptr<store::redis_client> client, std::string instance)
    : client_(std::move(client)),
      script_(std::make_unique<const store::redis_script>(std::string(k_cooldown_script))),
      instance_(std::move(instance)) {}

cooldown_store::~cooldown_store() = default;

boost::asio::awaitable<cooldown_store::result<shared_view>> cooldown_store::one(std::vector<std::string> keys,
                                                                                std::vector<std::string> args) {
  const store::redis_result r = co_await client_->evalsha(*script_, std::move(keys), std::move(args));
  if (!r) co_return r.error();
  if (r->is_array() && r->elements.size() == 2) {
    if (auto v = view_of(r->elements[0], r->elements[1])) co_return *v;
  }
  co_return unexpected(why_not(*r));
}

boost::asio::awaitable<cooldown_store::result<shared_view>> cooldown_store::failed(std::string_view name,
                                                                                   const cooldown_policy& p) {
  return one({cooldown_state_key(name), cooldown_failures_key(name)},
             {"fail", instance_, std::to_string(p.failures), std::to_string(p.window.count()),
              std::to_string(p.duration.count()), instance_ + ":" + std::to_string(++failures_)});
}

boost::asio::awaitable<cooldown_store::result<shared_view>> cooldown_store::retry_after(
    std::string_view name, std::chrono::milliseconds wait) {
  return one({cooldown_state_key(name)}, {"retry", instance_, std::to_string(std::max<long long>(0, wait.count()))});
}

boost::asio::awaitable<cooldown_store::result<shared_view>> cooldown_store::probe_succeeded(std::string_view name) {
  return one({cooldown_state_key(name), cooldown_failures_key(name)}, {"closed", instance_});
}

boost::asio::awaitable<cooldown_store::result<std::vector<shared_view>>> cooldown_store::poll(
    const std::vector<std::string>& names, const std::vector<bool>& wants, std::chrono::milliseconds lease) {
  // Read before the call: the reply is matched to this count.
  const std::size_t n = names.size();
  std::vector<std::string> keys;
  keys.reserve(n);
  std::string wanted;
  wanted.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys.push_back(cooldown_state_key(names[i]));
    wanted += i < wants.size() && wants[i] ? '1' : '0';
  }
  std::vector<std::string> args{"poll", instance_, std::to_string(lease.count()), std::move(wanted)};
  const store::redis_result r = co_await client_->evalsha(*script_, std::move(keys), std::move(args));
  if (!r) co_return r.error();
  if (!r->is_array() || r->elements.size() != 2 * n) co_return unexpected(why_not(*r));
  std::vector<shared_view> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto v = view_of(r->elements[2 * i], r->elements[2 * i + 1]);
    if (!v) co_return unexpected(why_not(*r));
    out.push_back(*v);
  }
  co_return out;
}

}  // namespace llmgw::api
