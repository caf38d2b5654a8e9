"""Schemathesis against /api/openapi.json: every operation, and the job links from each 202, on real workers.

The API runs in this process (schemathesis calls the Flask app over WSGI) but on the live stack's Redis and
worker processes, so a synchronous forecast answers 200 with a body the workers made, and that body is
checked against the published response schema; with `Prefer: respond-async` and no worker only the 202
would ever be checked. Examples are derandomised (a fixed seed), so a run is repeatable.
"""
from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from api.openapi import SPEC
from jobs.queues import QUEUES

# A 5xx, a body that breaks its declared schema, and a status the document does not declare.
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = settings(max_examples=25, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def api_schema(live_stack):
    """The document as the app serves it, called over WSGI against the live stack's Redis and workers."""
    app, _server, _url = live_stack.serve_api()
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    wait_for_empty_queues(live_stack.redis_url)


def wait_for_empty_queues(redis_url: str, timeout_s: float = 60.0) -> None:
    """Leave the shared stack as found: the batches and analyses the fuzzer queued are taken first."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout_s
    while sum(client.llen(queue) for queue in QUEUES) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(scope="module")
def queued_schema(live_stack):
    """The document, on an API whose jobs no worker takes (another Redis database): each stays queued.

    The links of a 202 lead to a cancellation that answers 200 while the job runs and 409 once it finished;
    with workers that depends on their pace, and hypothesis refuses a state machine whose steps are enabled
    in one run and not in the replay. Without workers every job is still queued when its links are followed.
    """
    import redis

    url = live_stack.redis_url.rsplit("/", 1)[0] + "/1"
    app, _server, _url = live_stack.serve_api(REDIS_URL=url, SYNC_WAIT_S=0)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    redis.Redis.from_url(url).flushdb()


# One test per documented operation. (schemathesis.pytest.from_fixture reads a private pytest attribute
# that pytest 9 no longer has, so the operations are parametrised here from the document itself.)
OPERATIONS = [f"{method.upper()} {path}" for path, methods in SPEC["paths"].items() for method in methods]


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.integration
@pytest.mark.slow
def test_each_operation_answers_as_documented(api_schema, label):
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @EXAMPLES
    @given(operation.as_strategy())
    def call(case):
        case.call_and_validate(checks=CHECKS)

    call()


@pytest.mark.integration
@pytest.mark.slow
def test_job_links_answer_as_documented(live_stack, queued_schema):
    """Submit, then follow the 202's links to the job, its cancellation and its results."""
    import redis

    machine = queued_schema.as_state_machine()
    client = redis.Redis.from_url(live_stack.redis_url.rsplit("/", 1)[0] + "/1")

    class JobFlow(machine):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

        def teardown(self):
            # Each example starts without the Idempotency-Keys of the last: hypothesis replays examples,
            # and a key it drew before would make the replay answer as a replay (another status, other links).
            super().teardown()
            keys = list(client.scan_iter("capplan:idem:*"))
            if keys:
                client.delete(*keys)

    JobFlow.run(settings=settings(EXAMPLES, max_examples=25, stateful_step_count=4))


def declared(path: str, method: str) -> set[int]:
    return {int(code) for code in SPEC["paths"][path][method]["responses"]}


def test_the_statuses_the_fuzzer_found_undeclared_are_declared(client):
    """A replayed Idempotency-Key with another body (409), an unknown job (404) and a text body (415)."""
    async_ = {"Prefer": "respond-async", "Idempotency-Key": "fuzz-1"}
    body = {"hours_ahead": 24, "current_load": 1000}
    assert client.post("/api/forecast", json=body, headers=async_).status_code == 202
    conflict = client.post("/api/forecast", json={**body, "current_load": 5}, headers=async_).status_code
    assert conflict == 409 and 409 in declared("/api/forecast", "post")
    assert client.delete("/api/jobs/no-such-job").status_code in declared("/api/jobs/{job_id}", "delete")
    assert client.get("/api/jobs/no-such-job/results").status_code in declared("/api/jobs/{job_id}/results", "get")
    as_text = client.post("/api/capacity/batch", data="{}", content_type="text/plain").status_code
    assert as_text == 415 and 415 in declared("/api/capacity/batch", "post")


def test_each_202_links_to_its_job(client):
    """The links schemathesis follows: from a submission's job_id to reading, cancelling and results."""
    operations = {op["operationId"] for methods in SPEC["paths"].values() for op in methods.values()
                  if "operationId" in op}
    for path in ("/api/forecast", "/api/capacity/recommendations", "/api/capacity/analyze", "/api/capacity/batch"):
        links = SPEC["paths"][path]["post"]["responses"]["202"]["links"]
        assert {link["operationId"] for link in links.values()} == operations == {
            "getJob", "cancelJob", "getJobResults"}
        assert all(link["parameters"] == {"job_id": "$response.body#/job_id"} for link in links.values())
