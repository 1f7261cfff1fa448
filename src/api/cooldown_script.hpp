#pragma once
// The Redis side of routing/deployment_health.hpp, shared by every instance:
// one Lua script, so each change is atomic, on the Redis server's clock (the
// instances' steady clocks share no epoch). Times go out as ms left, never
// as instants.
//
// A deployment has two keys, both under the {cooldown} hash tag (so every
// deployment's keys sit in one Redis Cluster slot and one call reads them
// all): its state, a hash {until = server ms it rests until, probe = the
// instance holding its probe, probe_until = when that claim lapses}, absent
// while it is healthy; and its recent failures, a sorted set scored by
// server ms.
//
// ARGV[1] is the operation, ARGV[2] the calling instance's id.
//   fail   KEYS state, failures; ARGV failures, window_ms, duration_ms, a member
//          unique to this failure. Resting or awaiting its probe: rests it
//          again (a failed probe, or a request that had nowhere else to go).
//          Otherwise counts the failure and rests it when `failures` fell
//          within the window.
//   retry  KEYS state; ARGV wait_ms: rests it at least that long (retry-after).
//   closed KEYS state, failures: a request succeeded on it; if its rest has
//          ended, it is healthy again.
//   poll   KEYS every deployment's state; ARGV lease_ms, then one '0'/'1' per
//          key: whether the caller wants that deployment's probe. A wanted
//          probe nobody holds (or whose claim lapsed) becomes the caller's
//          for lease_ms; the caller renews it by wanting it again.
// Replies: per deployment, {state, ms left}; state 0 healthy, 1 cooling,
// 2 awaiting its probe, which the caller holds, 3 awaiting a probe held
// elsewhere or by nobody. `poll` returns the pairs of every key in order.
// A state key expires an hour after its rest ends: a deployment nobody asked
// in that time is healthy again without a probe.
#include <string_view>

namespace llmgw::api {

inline constexpr std::string_view k_cooldown_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op, me = ARGV[1], ARGV[2]
local function state_of(key)
  local v = redis.call('HMGET', key, 'until', 'probe', 'probe_until')
  if not v[1] then return 0, 0 end
  local left = tonumber(v[1]) - now
  if left > 0 then return 1, left end
  if v[2] == me and tonumber(v[3]) > now then return 2, 0 end
  return 3, 0
end
local function rest(key, untl)
  redis.call('HSET', key, 'until', tostring(untl))
  redis.call('HDEL', key, 'probe', 'probe_until')
  redis.call('PEXPIRE', key, untl - now + 3600000)
end
local function reply(key)
  local s, left = state_of(key)
  return {s, left}
end
if op == 'fail' then
  local failures, window, duration = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  local untl = redis.call('HGET', KEYS[1], 'until')
  if untl then
    rest(KEYS[1], math.max(tonumber(untl), now + duration))
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. tostring(now - window))
    redis.call('ZADD', KEYS[2], now, ARGV[6])
    if redis.call('ZCARD', KEYS[2]) >= failures then
      rest(KEYS[1], now + duration)
      redis.call('DEL', KEYS[2])
    else
      redis.call('PEXPIRE', KEYS[2], window + 1000)
    end
  end
  return reply(KEYS[1])
elseif op == 'retry' then
  local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
  rest(KEYS[1], math.max(untl, now + tonumber(ARGV[3])))
  return reply(KEYS[1])
elseif op == 'closed' then
  local untl = redis.call('HGET', KEYS[1], 'until')
  if untl and tonumber(untl) <= now then redis.call('DEL', KEYS[1], KEYS[2]) end
  return reply(KEYS[1])
elseif op == 'poll' then
  local lease, wants = tonumber(ARGV[3]), ARGV[4]
  local out = {}
  for i = 1, #KEYS do
    local s, left = state_of(KEYS[i])
    if s >= 2 and string.sub(wants, i, i) == '1' then
      local holder = redis.call('HMGET', KEYS[i], 'probe', 'probe_until')
      if s == 2 or not holder[1] or tonumber(holder[2]) <= now then
        redis.call('HSET', KEYS[i], 'probe', me, 'probe_until', tostring(now + lease))
        s = 2
      end
    end
    out[#out + 1] = s
    out[#out + 1] = left
  end
  return out
end
return redis.error_reply('llmgw cooldown script: unknown operation ' .. tostring(op))
)lua";

}  // namespace llmgw::api
