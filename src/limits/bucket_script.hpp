#pragma once
// The Redis side of limits/token_bucket.hpp: one Lua script that decides
// the buckets of the requests a worker has waiting, each request all or
// nothing, atomically, in order, on the Redis server's clock (so instances
// with skewed clocks agree). The KEYS of one call share one {hash tag} (a
// gateway key's), so on Redis Cluster they live in one slot.
//
// ARGV[1] is the operation; ARGV[2] how many of the KEYS (the first ones)
// are settlements; ARGV[3] how many requests follow (m, 0 for settle) and
// ARGV[4 .. 3 + m] how many keys each has, in KEYS order after the
// settlements. Then four values per key: kind ("r" requests, "t" tokens,
// "p" in flight, "s" budget spend), the per-minute amount (or in-flight
// bound, or budget in USD), the cost (take) or the change (settlement), and
// for "s" the ms until its period ends (the key expires then; its name
// holds the period, so the next one starts at zero).
// A settlement trues up a reservation ("r", "t", "s": the change is taken,
// or given back when negative; never above the amount, may go below zero)
// or gives back in-flight slots ("p"). A worker gathers its settlements and
// its takes during a turn of its event loop and sends them in one call per
// hash tag at the end of it: the call's fixed cost (about 6 µs of the Redis
// server's single core for EVALSHA, TIME, MGET and the SETs) is paid once
// for all of them, and only the sums are per request.
//   take    → settles the leading keys, then decides each request in turn:
//             one text for the call, the requests' answers in order joined
//             by ';', each its numbers joined by ' ': admitted, refused
//             (1-based among its keys, 0: none), never_fits,
//             retry_after_ms, then per key: remaining, ms until full. One
//             text, not nested arrays: the gateway's Redis reader allocates
//             and frees an object per array element (nine per request of
//             two keys, 10k instructions of its CPU a request, callgrind).
//   settle  → 1 (every key is a settlement)
// Every value is a plain string, so one MGET reads all of a call's keys and
// one SET … PX writes each changed one, once, however many requests
// changed it.
// A bucket ("r", "t") holds the time, in ms on the server's clock, at which
// it is full again, and expires then: an absent bucket is a full one. Its
// level is amount - (that time - now) * amount / 60000, so a take adds
// cost * 60000 / amount and a level below zero is a time beyond a minute.
// In-flight counts ("p") and spend ("s") are plain numbers.
#include <string_view>

namespace llmgw::limits {

inline constexpr std::string_view k_bucket_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local op = ARGV[1]
if op ~= 'take' and op ~= 'settle' then
  return redis.error_reply('llmgw bucket script: unknown operation ' .. tostring(op))
end
local settled, requests = tonumber(ARGV[2]), tonumber(ARGV[3])
-- Key i's arguments are ARGV[base + 4i - 3 .. base + 4i]: kind, amount,
-- cost or change, ms until a budget's period ends.
local base = 3 + requests
local function kind_of(i) return ARGV[base + i * 4 - 3] end
local function amount_of(i) return tonumber(ARGV[base + i * 4 - 2]) end
local function cost_of(i) return tonumber(ARGV[base + i * 4 - 1]) end
local function period_ms(i) return tonumber(ARGV[base + i * 4]) end
-- Each key is read once; settlements, then the decisions, change the values
-- here (a key both settled and taken is settled first); each changed key is
-- written once at the end. A bucket is kept here as its debt: the ms until
-- it is full. (A key of another type reads as absent and is overwritten.)
local read = redis.call('MGET', unpack(KEYS))
local value = {}
for i = 1, #KEYS do
  if value[KEYS[i]] == nil then
    local v = tonumber(read[i]) or 0
    local kind = kind_of(i)
    if kind == 'r' or kind == 't' then v = math.max(0, v - now) end
    value[KEYS[i]] = v
  end
end
local changed, written_by = {}, {}
local function change(i, v)
  local key = KEYS[i]
  value[key] = v
  if not written_by[key] then changed[#changed + 1] = key end
  written_by[key] = i
end
for i = 1, settled do
  local kind, delta, v = kind_of(i), cost_of(i), value[KEYS[i]]
  if kind == 'p' then
    v = v - delta
  elseif kind == 's' then
    v = math.max(0, v + delta)
  else
    v = math.max(0, v + delta * 60000 / amount_of(i))
  end
  change(i, v)
end
-- One request: its keys are first .. last.
local function decide(first, last)
  local admitted, refused, never, wait = 1, 0, 0, 0
  for i = first, last do
    local kind, amount, cost, v = kind_of(i), amount_of(i), cost_of(i), value[KEYS[i]]
    local room
    if kind == 'p' then
      room = v + cost <= amount
    elseif kind == 's' then
      room = v < amount and v + cost <= amount
      if not room then wait = math.max(wait, period_ms(i)) end
    else
      local short = cost - (amount - v * amount / 60000)
      room = short <= 0
      if not room then wait = math.max(wait, math.ceil(short * 60000 / amount)) end
    end
    if cost > amount and never == 0 then
      admitted, never, refused = 0, 1, i - first + 1
    elseif not room and admitted == 1 then
      admitted, refused = 0, i - first + 1
    end
  end
  -- Whole numbers as %d (tostring would write 1e+15 past 14 digits); USD,
  -- not whole, as %.17g, which reads back exactly.
  local out = {admitted, refused, never, string.format('%d', wait)}
  for i = first, last do
    local kind, amount, cost, v = kind_of(i), amount_of(i), cost_of(i), value[KEYS[i]]
    if kind == 'p' then
      if admitted == 1 then v = v + cost; change(i, v) end
      out[#out + 1] = string.format('%d', math.floor(amount - v))
      out[#out + 1] = 0
    elseif kind == 's' then
      if admitted == 1 and cost > 0 then v = v + cost; change(i, v) end
      out[#out + 1] = string.format('%.17g', amount - v)
      out[#out + 1] = string.format('%d', period_ms(i))
    else
      if admitted == 1 then v = v + cost * 60000 / amount; change(i, v) end
      out[#out + 1] = string.format('%d', math.floor(math.max(0, amount - v * amount / 60000)))
      out[#out + 1] = string.format('%d', math.ceil(v))
    end
  end
  return table.concat(out, ' ')
end
local out = 1
if op == 'take' then
  local answers = {}
  local first = settled + 1
  for r = 1, requests do
    local last = first + tonumber(ARGV[3 + r]) - 1
    answers[r] = decide(first, last)
    first = last + 1
  end
  out = table.concat(answers, ';')
end
-- Numbers go to Redis as %.17g text: they read back exactly.
for _, key in ipairs(changed) do
  local i = written_by[key]
  local kind, v = kind_of(i), value[key]
  if kind == 'p' then
    if v <= 0 then redis.call('DEL', key) else redis.call('SET', key, v, 'PX', 600000) end
  elseif kind == 's' then
    redis.call('SET', key, v, 'PX', period_ms(i) + 60000)
  else
    redis.call('SET', key, now + v, 'PX', math.ceil(v) + 1000)
  end
end
return out
)lua";

}  // namespace llmgw::limits
