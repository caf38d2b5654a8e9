"""Worker pieces called directly: Celery settings, the runner on the shipped model, batch chunks, dispatch."""
from __future__ import annotations

import time

import pytest

from capplan.config import load_settings
from api.job_requests import REQUEST_MODELS, batch_entries, job_request, validated
from jobs.queues import BATCH_CHUNK_TASK, RUN_JOBS_TASK, create_celery

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}


def job_for(kind: str, body: dict) -> dict:
    """The job the API would store for ``body`` posted as ``kind``."""
    return job_request(kind, validated(REQUEST_MODELS[kind], body))


def test_celery_app_follows_the_reliability_rules():
    settings = load_settings({"REDIS_URL": "redis://127.0.0.1:1/3", "TASK_TIME_LIMIT": 100,
                              "TASK_SOFT_TIME_LIMIT": 90})
    conf = create_celery(settings).conf
    assert conf.broker_url == "redis://127.0.0.1:1/3"
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit == 90 and conf.task_time_limit == 100
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1   # sweep for lost tasks often
    assert conf.task_routes[RUN_JOBS_TASK]["queue"] == "forecast"
    assert conf.task_routes[BATCH_CHUNK_TASK]["queue"] == "batch"


def test_tasks_retry_only_on_redis_outages():
    import redis

    from workers import tasks

    for task in (tasks.run_jobs, tasks.run_batch):
        assert set(task.autoretry_for) == {redis.exceptions.ConnectionError, redis.exceptions.TimeoutError}


def test_run_jobs_groups_kinds_in_one_pass_and_is_idempotent(store, forecaster):
    from workers import runner

    week = {**FORECAST, "hours_ahead": 168, "current_capacity": 5000}
    ids = [store.create("forecast", job_for("forecast", FORECAST)),
           store.create("recommendations", job_for("recommendations", {**FORECAST, "current_capacity": 900})),
           store.create("analysis", job_for("analysis", week))]
    calls = []
    original = forecaster.forecast
    forecaster.forecast = lambda *a, **k: calls.append(len(a[0])) or original(*a, **k)
    try:
        assert runner.run_jobs(store, forecaster, ids) == 3
        assert runner.run_jobs(store, forecaster, ids) == 0            # redelivered: nothing to redo
    finally:
        del forecaster.forecast
    assert calls == [3]                                                  # one network pass for the group
    forecast, rec, analysis = (store.get(i)["result"] for i in ids)
    assert len(forecast["forecast"]) == 24 and forecast["history_source"] == "synthetic"
    assert forecast["forecast"][0]["timestamp"] == "2024-01-15T11:00:00"
    assert rec["recommendations"]["action"] == "scale_up" and rec["forecast"]["forecast"] == forecast["forecast"]
    assert len(analysis["forecast"]["forecast"]) == 168 and "risk_assessment" in analysis["analysis"]


def test_cancelled_jobs_are_skipped(store, forecaster):
    from workers import runner

    job_id = store.create("forecast", job_for("forecast", FORECAST))
    store.cancel(job_id)
    assert runner.run_jobs(store, forecaster, [job_id]) == 0
    assert store.get(job_id)["status"] == "cancelled"


def test_unloaded_model_fails_jobs_with_503(store, tmp_path):
    from models.serving import load_forecaster
    from workers import runner

    broken = load_forecaster(tmp_path)
    job_id = store.create("forecast", job_for("forecast", FORECAST))
    runner.run_jobs(store, broken, [job_id])
    job = store.get(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "model_unavailable" and job["error"]["status"] == 503


def test_batch_chunks_twice_still_complete_once_with_errors_per_plan(store, forecaster):
    from workers.batch_runner import run_batch_chunk

    plans = [{"id": f"p{i}", "current_capacity": 3000, "current_load": 500 + i, "hours_ahead": 48} for i in range(5)]
    plans[2] = {"id": "bad", "current_capacity": 3000}                     # no load and no history
    entries = batch_entries({"plans": plans})                            # as the API stores them
    job_id = store.create("batch", {}, total=5)
    pipe = store.redis.pipeline()
    chunks = [{"offset": 0, "plans": entries[:3]}, {"offset": 3, "plans": entries[3:]}]
    store.store_chunks(job_id, chunks, pipe)
    pipe.execute()
    assert run_batch_chunk(store, forecaster, job_id, 0, 2) == 3
    assert store.get(job_id)["status"] == "running"
    assert run_batch_chunk(store, forecaster, job_id, 0, 2) == 3           # redelivered chunk
    assert run_batch_chunk(store, forecaster, job_id, 1, 2) == 2
    job = store.get(job_id)
    assert job["status"] == "succeeded" and job["result"]["failed"] == 1 and job["result"]["succeeded"] == 4
    assert job["result"]["portfolio"]["plans"] == 4
    results = store.plan_results(job_id)
    assert [r["id"] for r in results] == ["p0", "p1", "bad", "p3", "p4"]
    assert results[2]["error"]["fields"] == {"current_load": "required when no history or source is given"}
    assert run_batch_chunk(store, forecaster, job_id, 1, 2) == 0           # finished: nothing to do


def test_batch_whose_plans_are_all_invalid_completes_without_the_model(store):
    from workers.batch_runner import run_batch_chunk

    entries = batch_entries({"plans": [{"id": "no-load", "current_capacity": 10}, ["not", "a plan"]]})
    job_id = store.create("batch", {}, total=2)
    pipe = store.redis.pipeline()
    store.store_chunks(job_id, [{"offset": 0, "plans": entries}], pipe)
    pipe.execute()
    assert run_batch_chunk(store, None, job_id, 0, 1) == 2                  # no network pass to make
    job = store.get(job_id)
    assert job["status"] == "succeeded" and job["progress"] == {"done": 2, "total": 2}
    result = job["result"]
    assert result["failed"] == 2 and result["succeeded"] == 0 and result["portfolio"]["plans"] == 0
    assert [r["error"]["fields"] for r in store.plan_results(job_id)] == [
        {"current_load": "required when no history or source is given"}, {"plans[1]": "must be a JSON object"}]


def test_dispatcher_publishes_at_once_then_groups_while_busy():
    from api.dispatch import JobDispatcher

    published = []

    def publish(group):
        published.append(list(group))

    dispatcher = JobDispatcher(publish, lambda *_: None, max_in_flight=1)
    dispatcher.submit("a")
    deadline = time.monotonic() + 5
    while not published and time.monotonic() < deadline:
        time.sleep(0.005)
    assert published == [["a"]]
    for job_id in ("b", "c", "d"):                                       # "a" still in flight
        dispatcher.submit(job_id)
    time.sleep(0.05)
    assert published == [["a"]]
    dispatcher.done("a")
    while len(published) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert published == [["a"], ["b", "c", "d"]]
    for job_id in ("b", "c", "d"):
        dispatcher.done(job_id)
    assert dispatcher.in_flight() == 0


def test_soft_time_limit_marks_open_jobs_failed_and_reraises(store, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from workers import tasks

    job_id = store.create("forecast", job_for("forecast", FORECAST))
    monkeypatch.setattr(tasks, "_store", store)
    monkeypatch.setattr(tasks.model_holder, "get_forecaster", lambda settings: None)

    def too_slow(*_args, **_kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks.runner, "run_jobs", too_slow)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.run_jobs.run([job_id])
    job = store.get(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "timeout"


def test_dispatcher_does_not_leak_groups_of_jobs_nobody_waits_for():
    from api.dispatch import JobDispatcher

    published = []
    dispatcher = JobDispatcher(published.append, lambda *_: None, max_in_flight=1)
    dispatcher.submit("a")
    deadline = time.monotonic() + 5
    while not published and time.monotonic() < deadline:
        time.sleep(0.005)
    dispatcher.submit("b")
    dispatcher.done("b")                  # its wait ended before it was even published
    dispatcher.done("a")
    while len(published) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert published == [["a"], ["b"]]    # still published: the job is not dropped
    assert dispatcher.in_flight() == 0    # and nobody's wait holds a group open
