#pragma once
// The Redis side of limits/token_bucket.hpp: one Lua script that decides all
// of a request's buckets at once, atomically, on the Redis server's clock (so
// instances with skewed clocks agree). KEYS are the buckets of one request;
// they share one {hash tag}, so on Redis Cluster they live in one slot.
//
// ARGV[1] is the operation, ARGV[2] how many of the KEYS (the first ones)
// are settlements; then four values per key: kind ("r" requests, "t"
// tokens, "p" in flight, "s" budget spend), the per-minute amount (or
// in-flight bound, or budget in USD), the cost (take) or the change
// (settlement), and for "s" the ms until its period ends (the key expires
// then; its name holds the period, so the next one starts at zero).
// A settlement trues up a reservation ("r", "t", "s": the change is taken,
// or given back when negative; never above the amount, may go below zero)
// or gives back in-flight slots ("p"). A worker gathers its settlements and
// sends them ahead of its next take on the same hash tag, or alone at the
// end of its event loop's turn: fewer round trips, and the same order.
//   take    → settles its leading keys, then decides the rest:
//             {admitted, refused (1-based among the taken, 0: none),
//              never_fits, retry_after_ms, then per taken key: remaining,
//              ms until full}
//   settle  → 1 (every key is a settlement)
// A bucket is a hash {l = level, t = ms of the last update} that expires
// once it would be full again: an absent bucket is a full one. In-flight
// counts and spend are plain numbers.
#include <string_view>

namespace llmgw::limits {

inline constexpr std::string_view k_bucket_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local function arg(i, j) return ARGV[2 + (i - 1) * 4 + j] end
local settled = tonumber(ARGV[2])
local function level_of(key, amount)
  local v = redis.call('HMGET', key, 'l', 't')
  if not v[1] then return amount end
  local lvl = tonumber(v[1]) + (now - tonumber(v[2])) * amount / 60000
  if lvl > amount then lvl = amount end
  return lvl
end
local function save(key, lvl, amount)
  redis.call('HSET', key, 'l', tostring(lvl), 't', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((amount - lvl) * 60000 / amount) + 1000)
end
local function settle(i)
  local kind, amount, delta = arg(i, 1), tonumber(arg(i, 2)), tonumber(arg(i, 3))
  if kind == 'p' then
    if redis.call('DECRBY', KEYS[i], delta) <= 0 then redis.call('DEL', KEYS[i]) end
  elseif kind == 's' then
    if tonumber(redis.call('INCRBYFLOAT', KEYS[i], tostring(delta))) < 0 then redis.call('SET', KEYS[i], '0', 'KEEPTTL') end
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], tonumber(arg(i, 4)) + 60000) end
  else
    local lvl = level_of(KEYS[i], amount) - delta
    if lvl > amount then lvl = amount end
    save(KEYS[i], lvl, amount)
  end
end
if op ~= 'take' and op ~= 'settle' then
  return redis.error_reply('llmgw bucket script: unknown operation ' .. tostring(op))
end
-- A settlement of a token or request bucket the take decides too is folded
-- into the decision: the bucket is read and written once. (A settle call
-- takes nothing: every key is settled here.)
local folded, taken_at = {}, {}
for i = settled + 1, #KEYS do taken_at[KEYS[i]] = i end
for i = 1, settled do
  local j, kind = taken_at[KEYS[i]], arg(i, 1)
  if j and (kind == 'r' or kind == 't') and arg(j, 1) == kind then
    folded[j] = tonumber(arg(i, 3))
  else
    settle(i)
  end
end
if op == 'take' then
  local levels = {}
  local admitted, refused, never, wait = 1, 0, 0, 0
  for i = settled + 1, #KEYS do
    local kind, amount, cost = arg(i, 1), tonumber(arg(i, 2)), tonumber(arg(i, 3))
    local room = true
    if kind == 'p' then
      levels[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
      room = levels[i] + cost <= amount
    elseif kind == 's' then
      levels[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
      room = levels[i] < amount and levels[i] + cost <= amount
      if not room then
        local w = tonumber(arg(i, 4))
        if w > wait then wait = w end
      end
    else
      levels[i] = level_of(KEYS[i], amount)
      if folded[i] then levels[i] = math.min(levels[i] - folded[i], amount) end
      room = levels[i] >= cost
      if not room then
        local w = math.ceil((cost - levels[i]) * 60000 / amount)
        if w > wait then wait = w end
      end
    end
    if cost > amount and never == 0 then
      admitted, never, refused = 0, 1, i - settled
    elseif not room and admitted == 1 then
      admitted, refused = 0, i - settled
    end
  end
  local out = {admitted, refused, never, wait}
  for i = settled + 1, #KEYS do
    local kind, amount, cost = arg(i, 1), tonumber(arg(i, 2)), tonumber(arg(i, 3))
    local lvl = levels[i]
    if kind == 'p' then
      if admitted == 1 then
        lvl = redis.call('INCRBY', KEYS[i], cost)
        redis.call('PEXPIRE', KEYS[i], 600000)
      end
      out[#out + 1] = math.floor(amount - lvl)
      out[#out + 1] = 0
    elseif kind == 's' then
      if admitted == 1 and cost > 0 then
        lvl = tonumber(redis.call('INCRBYFLOAT', KEYS[i], tostring(cost)))
        redis.call('PEXPIRE', KEYS[i], tonumber(arg(i, 4)) + 60000)
      end
      -- USD is not whole: the remaining amount goes back as text.
      out[#out + 1] = tostring(amount - lvl)
      out[#out + 1] = tonumber(arg(i, 4))
    else
      if admitted == 1 then
        lvl = lvl - cost
        save(KEYS[i], lvl, amount)
      elseif folded[i] then
        save(KEYS[i], lvl, amount)
      end
      local rem = lvl
      if rem < 0 then rem = 0 end
      out[#out + 1] = math.floor(rem)
      out[#out + 1] = math.ceil((amount - lvl) * 60000 / amount)
    end
  end
  return out
end
return 1
)lua";

}  // namespace llmgw::limits
