"""`capplan run`'s supervisor and embedded Redis (issue 23): a dead worker is restarted after a short, growing
wait with a log line; Redis or the API dying still stops everything; the embedded Redis has a maxmemory,
noeviction and a password of its own that no command line and no INFO line shows."""
from __future__ import annotations

import sys
import time
from urllib.parse import urlparse

import pytest
import redis as redis_lib

from api import create_app
from capplan.config import ConfigError, load_settings
from capplan.embedded_redis import embedded_redis_command, redacted, with_password
from capplan.supervisor import RESTART_DELAYS_S, STABLE_AFTER_S, Supervisor
from tests.redis_server import free_port

EXIT_3 = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _wait_exit(proc, timeout=10.0):
    proc.wait(timeout=timeout)


@pytest.fixture
def supervised():
    clock, lines = Clock(), []
    supervisor = Supervisor(clock=clock, log=lines.append)
    yield supervisor, clock, lines
    supervisor.stop()


def test_a_dead_worker_restarts_after_a_wait_that_grows(supervised):
    supervisor, clock, lines = supervised
    first = supervisor.start("worker", EXIT_3, {}, restart=True)
    pids, waits = [first.pid], []
    for _ in range(4):
        _wait_exit(supervisor.children[0].proc)
        assert supervisor.check() is None                       # dead: its restart is scheduled, nothing stops
        waits.append(supervisor.children[0].restart_at - clock.now)
        clock.now += waits[-1] - 0.01
        assert supervisor.check() is None and supervisor.children[0].proc.pid == pids[-1]   # not yet
        clock.now += 0.01
        supervisor.check()                                      # now: a new process
        pids.append(supervisor.children[0].proc.pid)
    assert waits == list(RESTART_DELAYS_S[:4]) and len(set(pids)) == 5
    assert lines[0] == f"capplan run: worker exited with 3; restarting it in {RESTART_DELAYS_S[0]} s"
    assert len(lines) == 4


def test_a_worker_that_ran_a_while_restarts_after_the_shortest_wait(supervised):
    supervisor, clock, lines = supervised
    supervisor.start("worker", EXIT_3, {}, restart=True)
    supervisor.children[0].deaths = 4
    clock.now += STABLE_AFTER_S
    _wait_exit(supervisor.children[0].proc)
    supervisor.check()
    assert supervisor.children[0].restart_at - clock.now == RESTART_DELAYS_S[0]


def test_redis_or_the_api_dying_stops_everything(supervised):
    supervisor, _clock, lines = supervised
    worker = supervisor.start("worker", SLEEP, {}, restart=True)
    api = supervisor.start("api", EXIT_3, {})
    _wait_exit(api)
    assert supervisor.check() == ("api", 3) and not lines
    supervisor.stop()
    assert worker.wait(timeout=10) is not None


def test_stdin_text_reaches_the_process_and_not_its_command_line(supervised, tmp_path):
    supervisor, _clock, _lines = supervised
    out = tmp_path / "got"
    code = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    proc = supervisor.start("reader", [sys.executable, "-c", code], {}, stdin_text="requirepass x\n")
    _wait_exit(proc)
    assert out.read_text() == "requirepass x\n" and "requirepass" not in " ".join(proc.args)


def test_the_embedded_url_gets_a_password_of_its_own_each_run_and_keeps_a_given_one():
    one, two = with_password("redis://127.0.0.1:6390/0"), with_password("redis://127.0.0.1:6390/0")
    assert urlparse(one).password and urlparse(one).password != urlparse(two).password
    assert len(urlparse(one).password) >= 32 and urlparse(one).port == 6390 and urlparse(one).path == "/0"
    assert with_password("redis://:mine@localhost:6390/1") == "redis://:mine@localhost:6390/1"
    assert redacted(one) == "redis://:***@127.0.0.1:6390/0" and redacted("redis://h:1/0") == "redis://h:1/0"


def test_the_embedded_command_sets_maxmemory_noeviction_and_hides_the_password(tmp_path):
    args, config = embedded_redis_command("redis://:p%40ss\"w@127.0.0.1:6390/0", tmp_path, "256mb")
    line = " ".join(args)
    assert "--maxmemory 256mb" in line and "--maxmemory-policy noeviction" in line
    assert "--bind 127.0.0.1" in line and "--appendonly yes" in line and args[1] == "-"
    assert "p%40ss" not in line and "requirepass" not in line
    assert config == 'requirepass "p@ss\\"w"\n'
    with pytest.raises(SystemExit):
        embedded_redis_command("redis://:pw@redis.example.com:6379/0", tmp_path, "512mb")
    with pytest.raises(ValueError):
        embedded_redis_command("redis://127.0.0.1:6390/0", tmp_path, "512mb")


def test_redis_maxmemory_is_a_setting_checked_by_name():
    assert load_settings(environ={}).REDIS_MAXMEMORY == "512mb"
    assert load_settings(environ={"REDIS_MAXMEMORY": "2GB"}).REDIS_MAXMEMORY == "2GB"
    with pytest.raises(ConfigError, match="REDIS_MAXMEMORY"):
        load_settings(environ={"REDIS_MAXMEMORY": "lots"})


def test_the_embedded_redis_refuses_strangers_and_a_full_one_is_a_503(tmp_path):
    url = with_password(f"redis://127.0.0.1:{free_port()}/0")
    args, config = embedded_redis_command(url, tmp_path, "2mb")
    supervisor = Supervisor(log=lambda _line: None)
    try:
        supervisor.start("redis", args, {}, stdin_text=config)
        client = redis_lib.Redis.from_url(url, socket_timeout=2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis_lib.exceptions.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with pytest.raises(redis_lib.exceptions.AuthenticationError):
            redis_lib.Redis(port=urlparse(url).port, socket_timeout=2).set("k", "v")
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        with pytest.raises(redis_lib.exceptions.ResponseError, match="maxmemory"):
            for i in range(100):
                client.set(f"k{i}", b"x" * 100_000)
        client.config_set("maxmemory", "1")         # full for certain: every write is refused now
        reply = create_app({"REDIS_URL": url, "LOG_LEVEL": "CRITICAL"}).test_client().post(
            "/api/forecast", json={"current_load": 5}, headers={"Prefer": "respond-async"})
        assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
        assert reply.get_json()["error"]["message"] == "the job store is full; retry later"
    finally:
        supervisor.stop()


def test_other_redis_refusals_stay_generic_500s(app, monkeypatch):
    def refuse(*_a, **_k):
        raise redis_lib.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind")

    monkeypatch.setattr(app.extensions["capplan"].store, "create", refuse)
    reply = app.test_client().post("/api/forecast", json={"current_load": 5})
    assert reply.status_code == 500 and "WRONGTYPE" not in reply.get_data(as_text=True)
