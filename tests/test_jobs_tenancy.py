"""The job store's tenants on a real Redis: each tenant's jobs, job ids and Idempotency-Keys, and its open jobs."""
from __future__ import annotations

import time

import pytest

from jobs.store import IdempotencyConflict, JobStore, redis_from_url
from jobs.tenant_jobs import CREATING_GRACE_S, TenantJobs


@pytest.fixture
def store(redis_server):
    client = redis_from_url(redis_server.url)
    client.flushdb()
    return JobStore(client, ttl=3600)


@pytest.fixture
def tenant_jobs(store):
    return TenantJobs(store.redis, ttl=3600), store


def test_a_tenants_job_is_no_job_to_another_and_every_job_to_none(store):
    job_id = store.create("forecast", {}, tenant="alpha")
    assert store.get(job_id, "alpha")["job_id"] == job_id
    assert store.get(job_id, "beta") is None and store.get(job_id, "") is None
    assert store.get(job_id)["job_id"] == job_id                   # None: AUTH=open reads every job
    assert "tenant" not in store.get(job_id)                       # the public record does not say
    store.redis.delete(store.key(job_id))                          # expired: 410 for its tenant only
    assert store.was_issued(job_id, "alpha") and not store.was_issued(job_id, "beta")
    assert store.was_issued(job_id)


def test_a_job_shown_later_keeps_its_tenant(store):
    job_id = store.create("forecast", {}, tenant="alpha", shown=False)
    assert not store.was_issued(job_id, "alpha")
    store.show(job_id)
    assert store.was_issued(job_id, "alpha") and not store.was_issued(job_id, "beta")


def test_idempotency_keys_are_per_tenant_and_let_go_only_by_their_job(store):
    assert store.claim_idempotency_key("k", {"a": 1}, "job-a", "alpha") is None
    assert store.claim_idempotency_key("k", {"a": 2}, "job-b", "beta") is None     # no conflict across tenants
    with pytest.raises(IdempotencyConflict) as e:
        store.claim_idempotency_key("k", {"a": 2}, "job-a2", "alpha")
    assert e.value.job_id == "job-a"
    store.release_idempotency_key("k", "job-other", "alpha")      # not its job: kept
    assert store.claim_idempotency_key("k", {"a": 1}, "job-a3", "alpha") == "job-a"
    store.release_idempotency_key("k", "job-a", "alpha")
    assert store.claim_idempotency_key("k", {"a": 1}, "job-a4", "alpha") is None
    assert store.idempotency_key("k") == store.idempotency_key("k", "")           # AUTH=open: as before


def test_admission_counts_open_jobs_and_forgets_finished_ones(tenant_jobs):
    jobs, store = tenant_jobs
    first = store.create("forecast", {}, tenant="t")
    assert jobs.admit("t", first, cap=2) == (True, 1)
    second = store.create("forecast", {}, tenant="t")
    assert jobs.admit("t", second, cap=2) == (True, 2)
    assert jobs.admit("t", "third", cap=2) == (False, 2)
    assert jobs.admit("u", "elsewhere", cap=2) == (True, 1)               # per tenant
    store.finish_many([(first, "succeeded", {})])
    store.cancel(second)
    assert jobs.admit("t", "third", cap=2) == (True, 1)
    assert jobs.redis.zrange(jobs.key("t"), 0, -1) == ["third"]
    assert jobs.admit("t", "fourth", cap=0)[0] is True                     # 0: no cap


def test_a_job_admitted_but_never_made_stops_counting_after_the_grace(tenant_jobs):
    jobs, _ = tenant_jobs
    assert jobs.admit("t", "being-made", cap=1) == (True, 1)
    assert jobs.admit("t", "next", cap=1) == (False, 1)         # its record is on its way
    jobs.redis.zadd(jobs.key("t"), {"being-made": time.time() - CREATING_GRACE_S - 1})
    assert jobs.admit("t", "next", cap=1) == (True, 1)          # its creation failed long ago
