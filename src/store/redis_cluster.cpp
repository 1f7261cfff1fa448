// Redis Cluster routing over one redis_connection per node.
#include "store/redis_cluster.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <array>
#include <charconv>

namespace llmgw::store {

namespace asio = boost::asio;

namespace {

constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    std::uint16_t crc = static_cast<std::uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
    t[i] = crc;
  }
  return t;
}
constexpr auto k_crc_table = make_crc_table();

constexpr int k_max_redirections = 5;

}  // namespace

std::uint16_t crc16_xmodem(std::string_view data) {
  std::uint16_t crc = 0;
  for (unsigned char c : data) crc = static_cast<std::uint16_t>((crc << 8) ^ k_crc_table[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

std::uint16_t key_slot(std::string_view key) {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16_xmodem(key) % k_cluster_slots;
}

struct redis_cluster_client::impl : std::enable_shared_from_this<impl> {
  struct node {
    std::string host;
    std::uint16_t port;
    std::unique_ptr<redis_connection> conn;  // made when first needed
  };

  impl(asio::io_context& c, redis_options o) : ioc(c), opt(std::move(o)) {
    opt.url.db = 0;  // a cluster has only database 0
    nodes.push_back({opt.url.host, opt.url.port, nullptr});
  }

  asio::io_context& ioc;
  redis_options opt;
  std::vector<node> nodes;  // never shrinks: slots refer to nodes by index
  std::vector<int> slots = std::vector<int>(k_cluster_slots, -1);
  bool have_map = false;
  bool refreshing = false;
  std::uint64_t refreshes = 0;

  int node_index(std::string_view host, std::uint16_t port) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].host == host && nodes[i].port == port) return static_cast<int>(i);
    nodes.push_back({std::string(host), port, nullptr});
    return static_cast<int>(nodes.size() - 1);
  }

  redis_connection& conn(int i) {
    auto& n = nodes[static_cast<std::size_t>(i)];
    if (!n.conn) {
      redis_options o = opt;
      o.url.host = n.host;
      o.url.port = n.port;
      n.conn = std::make_unique<redis_connection>(ioc, std::move(o));
    }
    return *n.conn;
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id], replicas...], ...]
  bool apply(const redis_reply& r, const std::string& asked_host) {
    if (!r.is_array()) return false;
    std::vector<int> fresh(k_cluster_slots, -1);
    for (const auto& range : r.elements) {
      if (!range.is_array() || range.elements.size() < 3) return false;
      const auto& from = range.elements[0];
      const auto& to = range.elements[1];
      const auto& master = range.elements[2];
      if (!from.is_integer() || !to.is_integer() || !master.is_array() || master.elements.size() < 2 ||
          !master.elements[1].is_integer())
        return false;
      if (from.integer < 0 || to.integer >= k_cluster_slots || from.integer > to.integer) return false;
      // An empty (or "?") host means the node we asked, as Redis documents.
      std::string host = master.elements[0].str;
      if (host.empty() || host == "?") host = asked_host;
      const int idx = node_index(host, static_cast<std::uint16_t>(master.elements[1].integer));
      for (long long s = from.integer; s <= to.integer; ++s) fresh[static_cast<std::size_t>(s)] = idx;
    }
    slots = std::move(fresh);
    return true;
  }

  asio::awaitable<std::optional<redis_error>> refresh() {
    auto self = shared_from_this();
    std::optional<redis_error> err;
    const std::size_t known = nodes.size();
    for (std::size_t i = 0; i < known; ++i) {
      redis_command ask{"CLUSTER", "SLOTS"};
      auto r = co_await conn(static_cast<int>(i)).command(std::move(ask));
      const std::string where = nodes[i].host + ":" + std::to_string(nodes[i].port);
      if (!r) {
        err = r.error();
        continue;
      }
      if (r->is_error()) {
        err = redis_error{redis_failure::routing, "CLUSTER SLOTS failed on " + where + ": " + r->str};
        continue;
      }
      if (!apply(*r, nodes[i].host)) {
        err = redis_error{redis_failure::protocol, "CLUSTER SLOTS from " + where + " is not a slot map"};
        continue;
      }
      have_map = true;
      ++refreshes;
      co_return std::nullopt;
    }
    co_return err;
  }

  static asio::awaitable<void> background_refresh(std::shared_ptr<impl> self) {
    co_await self->refresh();
    self->refreshing = false;
  }

  void schedule_refresh() {
    if (refreshing) return;
    refreshing = true;
    asio::co_spawn(ioc, background_refresh(shared_from_this()), asio::detached);
  }

  // MOVED/ASK "<slot> <host>:<port>": the node index, or -1.
  int redirect_target(const std::string& error) {
    const std::size_t space = error.rfind(' ');
    if (space == std::string::npos) return -1;
    const std::string_view addr = std::string_view(error).substr(space + 1);
    const std::size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return -1;
    unsigned port = 0;
    const auto p = addr.substr(colon + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) return -1;
    return node_index(addr.substr(0, colon), static_cast<std::uint16_t>(port));
  }

  // One command to the node serving `slot`, following redirections. With a
  // script, args is its EVALSHA; NOSCRIPT loads it on that node.
  asio::awaitable<redis_result> route(std::uint16_t slot, redis_command args, const redis_script* script) {
    auto self = shared_from_this();
    if (!have_map) {
      auto e = co_await refresh();
      if (e) co_return *e;
    }
    int target = slots[slot];
    bool asking = false;
    for (int attempt = 0; attempt <= k_max_redirections; ++attempt) {
      if (target < 0) {
        co_return redis_error{redis_failure::routing, "no Redis Cluster node serves slot " + std::to_string(slot)};
      }
      redis_connection& c = conn(target);
      redis_result r;
      if (asking) {
        // ASKING holds for the next command only: both go in one batch so no
        // other coroutine's command comes between them. A script goes as
        // EVAL: the importing node may not have it loaded.
        std::vector<redis_command> batch;
        batch.push_back({"ASKING"});
        redis_command cmd = args;
        if (script) {
          cmd[0] = "EVAL";
          cmd[1] = script->source;
        }
        batch.push_back(std::move(cmd));
        auto rs = co_await c.commands(std::move(batch));
        r = std::move(rs[1]);
        asking = false;
      } else {
        r = co_await c.command(args);
        if (script && r && r->is_error_with("NOSCRIPT")) {
          auto loaded = co_await c.script_load(*script);
          if (!loaded) co_return loaded;
          if (loaded->is_error()) co_return loaded;
          r = co_await c.command(args);
        }
      }
      if (!r) {
        // A node that fails may have been replaced: learn the map again.
        if (r.error().failure != redis_failure::timeout) schedule_refresh();
        co_return r;
      }
      if (r->is_error_with("MOVED")) {
        target = redirect_target(r->str);
        if (target >= 0) slots[slot] = target;
        schedule_refresh();
        continue;
      }
      if (r->is_error_with("ASK")) {
        target = redirect_target(r->str);
        asking = true;
        continue;
      }
      co_return r;
    }
    co_return redis_error{redis_failure::routing,
                          "too many Redis Cluster redirections for slot " + std::to_string(slot)};
  }
};

redis_cluster_client::redis_cluster_client(asio::io_context& ioc, redis_options options)
    : impl_(std::make_shared<impl>(ioc, std::move(options))) {}

redis_cluster_client::~redis_cluster_client() = default;

asio::awaitable<std::optional<redis_error>> redis_cluster_client::connect() { co_return co_await impl_->refresh(); }

asio::awaitable<redis_result> redis_cluster_client::command(std::string_view routing_key, redis_command args) {
  co_return co_await impl_->route(key_slot(routing_key), std::move(args), nullptr);
}

asio::awaitable<std::vector<redis_result>> redis_cluster_client::commands(std::string_view routing_key,
                                                                          std::vector<redis_command> batch) {
  auto self = impl_;
  const std::uint16_t slot = key_slot(routing_key);
  std::vector<redis_result> out;
  if (!self->have_map) {
    auto e = co_await self->refresh();
    if (e) {
      out.assign(batch.size(), *e);
      co_return out;
    }
  }
  const int target = self->slots[slot];
  if (target < 0) {
    out.assign(batch.size(),
               redis_error{redis_failure::routing, "no Redis Cluster node serves slot " + std::to_string(slot)});
    co_return out;
  }
  out = co_await self->conn(target).commands(batch);
  // Redirected commands (the slot moved under the batch) are sent again one
  // by one, through the redirections.
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] && (out[i]->is_error_with("MOVED") || out[i]->is_error_with("ASK")))
      out[i] = co_await self->route(slot, std::move(batch[i]), nullptr);
  }
  co_return out;
}

asio::awaitable<redis_result> redis_cluster_client::evalsha(const redis_script& script, std::vector<std::string> keys,
                                                            std::vector<std::string> args) {
  const std::uint16_t slot = keys.empty() ? 0 : key_slot(keys.front());
  redis_command cmd = evalsha_command(script, std::move(keys), std::move(args));
  co_return co_await impl_->route(slot, std::move(cmd), &script);
}

bool redis_cluster_client::healthy() const {
  if (!impl_->have_map) return false;
  for (const auto& n : impl_->nodes)
    if (n.conn && !n.conn->healthy()) return false;
  return true;
}

std::size_t redis_cluster_client::known_nodes() const { return impl_->nodes.size(); }

std::uint64_t redis_cluster_client::map_refreshes() const { return impl_->refreshes; }

}  // namespace llmgw::store
