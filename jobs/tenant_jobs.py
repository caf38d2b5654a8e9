"""Each tenant's open (queued or running) jobs, counted against its cap when it submits one more.

Key (under ``capplan:``): tenant:{tenant}:open, a sorted set of job ids scored by when they were admitted.
Finished jobs leave it lazily: an admission that finds as many listed jobs as the cap reads their status
and drops the finished and the expired, so the workers and the job store's scripts need not know of it.
With no cap (0) nothing is listed: a cap set later counts the jobs made from then on.
"""
from __future__ import annotations

import time

import redis

from jobs.store import PREFIX, JobStore

# A job is admitted just before its record is written: for this long, a listed job with no record yet
# still counts (its submission is under way), after that it is gone (its creation failed).
CREATING_GRACE_S = 30.0

# Atomic, so two submissions at once cannot both take the last place. The listed jobs are read only when
# there are as many as the cap (finished ones stay listed until then), so a tenant under its cap costs one
# ZCARD. It reads the job records by name, as a single Redis (not a cluster) allows.
_ADMIT = """
local cap = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= cap then
  local ids = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local open = 0
  for i = 1, #ids, 2 do
    local s = redis.call('HGET', ARGV[1] .. ids[i], 'status')
    local being_made = (not s) and tonumber(ids[i + 1]) > tonumber(ARGV[4]) - tonumber(ARGV[6])
    if s == 'queued' or s == 'running' or being_made then
      open = open + 1
    else
      redis.call('ZREM', KEYS[1], ids[i])
    end
  end
  if open >= cap then return {0, open} end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1, redis.call('ZCARD', KEYS[1])}
"""


class TenantJobs:
    """Admits a tenant's new job while its open jobs are under the cap."""

    def __init__(self, client: redis.Redis, ttl: int):
        self.redis = client
        self.ttl = int(ttl)
        self._admit = client.register_script(_ADMIT)

    @staticmethod
    def key(tenant: str) -> str:
        return f"{PREFIX}tenant:{tenant}:open"

    def admit(self, tenant: str, job_id: str, cap: int) -> tuple[bool, int]:
        """(whether ``job_id`` may be made, the tenant's open jobs: exact when refused, at most that many
        when admitted); ``cap`` 0: no cap."""
        if cap <= 0:
            return True, 0
        admitted, open_jobs = self._admit(
            keys=[self.key(tenant)],
            args=[JobStore.key(""), int(cap), job_id, time.time(), self.ttl, CREATING_GRACE_S])
        return bool(admitted), int(open_jobs)
