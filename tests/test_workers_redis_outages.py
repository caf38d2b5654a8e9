"""A task that loses Redis mid-way waits for it in place and runs its idempotent work again."""
from __future__ import annotations

import pytest
import redis

from workers.tasks import through_redis_outages


class Flaky:
    """A Redis stand-in whose ping fails ``down`` times before it answers."""

    def __init__(self, down: int):
        self.down = down
        self.pings = 0

    def ping(self):
        self.pings += 1
        if self.pings <= self.down:
            raise redis.exceptions.ConnectionError("Connection refused")
        return True


def test_work_that_loses_redis_runs_again_once_redis_answers():
    runs = []

    def work():
        runs.append(1)
        if len(runs) == 1:
            raise redis.exceptions.ConnectionError("lost")
        return 42

    client = Flaky(down=2)
    assert through_redis_outages(work, client, wait_s=5) == 42
    assert len(runs) == 2 and client.pings == 3


def test_redis_that_stays_away_leaves_the_error_to_celery():
    def work():
        raise redis.exceptions.TimeoutError("timed out")

    with pytest.raises(redis.exceptions.TimeoutError):
        through_redis_outages(work, Flaky(down=10**6), wait_s=0.6)


def test_other_errors_are_not_retried():
    runs = []

    def work():
        runs.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        through_redis_outages(work, Flaky(down=0))
    assert len(runs) == 1
