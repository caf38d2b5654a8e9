"""Bytes of results each tenant keeps in Redis, counted against its cap when it submits a new job.

Keys (under the store's prefix, ``capplan:``), for each tenant ("" where AUTH=open: one budget for every caller):
  tenant:{tenant}:stored         sorted set: job ids scored by when their counted bytes expire (epoch s)
  tenant:{tenant}:stored:bytes   hash job id -> bytes counted for it
  tenant:{tenant}:stored:total   the sum of that hash
What is counted is a batch's compressed per-plan results, the bulk of what a tenant stores; each job's
count lasts RESULT_TTL after its last stored chunk, as its results do. Expired counts leave at the next
reading, so nothing needs to know when Redis drops a key.
"""
from __future__ import annotations

import time

import redis

MAX_PRUNED = 1000            # expired jobs dropped per reading: a reading stays short however many expired

# KEYS: job record. ARGV: prefix, job id, bytes, expiry (epoch s), key ttl. The tenant is the record's.
_CHARGE = """
local tenant = redis.call('HGET', KEYS[1], 'tenant')
if not tenant then return 0 end
local base = ARGV[1] .. 'tenant:' .. tenant .. ':stored'
redis.call('ZADD', base, ARGV[4], ARGV[2])
redis.call('HINCRBY', base .. ':bytes', ARGV[2], ARGV[3])
redis.call('INCRBY', base .. ':total', ARGV[3])
for _, key in ipairs({base, base .. ':bytes', base .. ':total'}) do redis.call('EXPIRE', key, ARGV[5]) end
return 1
"""
# KEYS: stored, bytes, total. ARGV: now (epoch s), most to prune. Returns {bytes, first expiry or 0}.
_READ = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(gone) do
  redis.call('DECRBY', KEYS[3], tonumber(redis.call('HGET', KEYS[2], id) or '0'))
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {tonumber(redis.call('GET', KEYS[3]) or '0'), math.floor(tonumber(first[2] or '0'))}
"""


class StoredBytes:
    """Counts what each tenant's jobs store, and reads a tenant's count."""

    def __init__(self, client: redis.Redis, ttl: int, prefix: str):
        self.ttl = int(ttl)
        self.prefix = prefix
        self._charge = client.register_script(_CHARGE)
        self._read = client.register_script(_READ)

    def key(self, tenant: str) -> str:
        return f"{self.prefix}tenant:{tenant}:stored"

    def charge(self, job_key: str, job_id: str, size: int, pipe=None) -> None:
        """Count ``size`` more bytes for ``job_id`` (its record at ``job_key`` names the tenant), until
        RESULT_TTL from now."""
        self._charge(keys=[job_key], args=[self.prefix, job_id, int(size), int(time.time()) + self.ttl, self.ttl + 60],
                     client=pipe)

    def usage(self, tenant: str, now: float | None = None) -> tuple[int, float]:
        """(bytes the tenant stores now, seconds until the first of them expires; 0 when none)."""
        now = time.time() if now is None else now
        base = self.key(tenant)
        stored, first = self._read(keys=[base, f"{base}:bytes", f"{base}:total"], args=[now, MAX_PRUNED])
        return int(stored), max(0.0, first - now) if first else 0.0
