"""Shared fixtures. Servers are real processes on free ports; nothing uses the user's Redis."""
from __future__ import annotations

import json
import os

import pytest
from flask.testing import FlaskClient

from jobs.json_values import check_json
from tests.live_stack import LiveStack
from tests.redis_server import RedisProcess


def pytest_configure(config):
    # The suite's default is AUTH=open, said here rather than left to the address a test server listens
    # on; the tests of API keys ask for AUTH=keys themselves (tests/test_api_auth.py).
    os.environ["AUTH"] = "open"


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server process for the whole session."""
    server = RedisProcess().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def rabbitmq_server():
    """A private RabbitMQ node for the whole session, started by the first test that asks for it."""
    from tests.rabbitmq_server import RabbitMQProcess, rabbitmq_installed

    if not rabbitmq_installed():
        pytest.skip("rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server; "
                    ".ci/run installs it as root), so the RabbitMQ broker is untested here")
    server = RabbitMQProcess().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def live_stack():
    """Real Redis, two real Celery worker processes (shipped model) and the API over HTTP; one per session.

    Yields a tests.live_stack.LiveStack: .base_url, .redis_url, .start_worker(i), .kill_worker(i),
    .restart_worker(i), .kill_worker_children(i), .worker_children(i), .stop_redis(), .start_redis(),
    .wait_healthy(timeout, live), .health(). Tests that break it must leave it healthy again.
    """
    # Short task limits make the broker's visibility timeout 20 s, so a batch outlives a whole worker
    # being SIGKILLed within the test's patience (the other worker restores the unacked chunk).
    stack = LiveStack(workers=2, settings={"BATCH_CHUNK_SIZE": 100, "SYNC_WAIT_S": 20,
                                           "TASK_TIME_LIMIT": 10, "TASK_SOFT_TIME_LIMIT": 8})
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="session")
def keyed_api(live_stack, tmp_path_factory):
    """An API with AUTH=keys on the live stack's Redis and workers: .base_url, and .keys by tenant (alpha, beta)."""
    from types import SimpleNamespace

    from tests.api_keys import write_keys

    config = tmp_path_factory.mktemp("keys") / "capplan.toml"
    keys = write_keys(config, {"alpha": {"tenant": "alpha"}, "beta": {"tenant": "beta"}})
    _app, _server, url = live_stack.serve_api(AUTH="keys", CAPPLAN_CONFIG=str(config))
    return SimpleNamespace(base_url=url, keys=keys)


@pytest.fixture
def app(redis_server):
    """The Flask app on the session's real Redis, with an empty job store."""
    from api import create_app
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_server.url).flushdb()
    app = create_app({"REDIS_URL": redis_server.url, "ENV": "test", "LOG_LEVEL": "WARNING",
                      "SYNC_WAIT_S": 0.2, "AUTH": "open"})
    app.test_client_class = CheckedClient
    return app


class CheckedClient(FlaskClient):
    """A test client that fails a test on any JSON response holding NaN, Infinity or a non-JSON value."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.is_json and not getattr(response, "is_streamed", False):
            check_json(json.loads(response.get_data()))
        return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(redis_server):
    """A JobStore on the session's real Redis, emptied first."""
    from jobs.store import JobStore, redis_from_url

    client = redis_from_url(redis_server.url, timeout=5)
    client.flushdb()
    return JobStore(client, ttl=60)


@pytest.fixture(scope="module")
def forecaster():
    """The shipped model, loaded on the CPU."""
    from models.serving import load_forecaster

    return load_forecaster(device="cpu")


@pytest.fixture(scope="module")
def prometheus():
    """A private Prometheus over backfilled hourly series (tests.prometheus_server); skips loudly without one."""
    from tests.prometheus_server import PrometheusServer, prometheus_or_skip

    prometheus_or_skip()
    server = PrometheusServer().start()
    yield server
    server.close()
