"""The Lua scripts behind JobStore's status changes: each is one atomic step in Redis, so a cancel, a
finishing worker and the stall sweep can never both win, and a late write never overwrites a finished job.

Keys and arguments are named in each script's comment; ``running`` is the sorted set of running jobs
scored by their last progress (epoch seconds), which the stall sweep reads.
"""
from __future__ import annotations

# KEYS: job, known. ARGV: ttl, known ttl ('0': not yet known), then field, value, field, value... The known
# marker holds the job's tenant.
# One round trip and no pipeline object (redis-py copies its callback table for each pipeline).
CREATE = """
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
if ARGV[2] ~= '0' then redis.call('SET', KEYS[2], redis.call('HGET', KEYS[1], 'tenant'), 'EX', ARGV[2]) end
return 1
"""
# KEYS: job, running. ARGV: now (ISO), now (epoch s), job id. Starting is progress; a job already running
# (another chunk of a batch starting) is not, so a chunk redelivered over and over cannot keep a job alive.
START = """
local s = redis.call('HGET', KEYS[1], 'status')
if s == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
if s == 'running' then return 1 end
return 0
"""
# The end of an open job, shared by FINISH and SWEEP (the status check comes before it).
# KEYS: job, done, running. ARGV: status, field, payload, now, ttl, done body, done ttl, unseen ttl, job id.
_CLOSE = """
redis.call('HSET', KEYS[1], 'status', ARGV[1], ARGV[2], ARGV[3], 'finished_at', ARGV[4])
if not redis.call('HGET', KEYS[1], 'started_at') then redis.call('HSET', KEYS[1], 'started_at', ARGV[4]) end
if redis.call('HGET', KEYS[1], 'unseen') == '1' then
  redis.call('EXPIRE', KEYS[1], ARGV[8])
else
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
redis.call('RPUSH', KEYS[2], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[7])
redis.call('ZREM', KEYS[3], ARGV[9])
return 1
"""
FINISH = """
local s = redis.call('HGET', KEYS[1], 'status')
if (not s) or s == 'succeeded' or s == 'failed' or s == 'cancelled' then
  redis.call('ZREM', KEYS[3], ARGV[9])
  return 0
end
""" + _CLOSE
# FINISH for a running job whose last progress is at or before ARGV[10] (epoch s) only: a chunk that made
# progress meanwhile keeps its job, and a job that finished meanwhile stays as it finished.
SWEEP = """
local s = redis.call('HGET', KEYS[1], 'status')
if s ~= 'running' then
  redis.call('ZREM', KEYS[3], ARGV[9])
  return 0
end
local at = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[9]) or '0')
if at > tonumber(ARGV[10]) then return 0 end
""" + _CLOSE
# KEYS: job, known. ARGV: ttl, known ttl.
SHOW = """
redis.call('HSET', KEYS[1], 'unseen', '0')
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], redis.call('HGET', KEYS[1], 'tenant') or '', 'EX', ARGV[2])
return 1
"""
# KEYS: job, done, running. ARGV: now, done body, done ttl, job id.
CANCEL = """
local s = redis.call('HGET', KEYS[1], 'status')
if s == 'queued' or s == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[4])
  return {1, 'cancelled'}
end
return {0, s or ''}
"""
