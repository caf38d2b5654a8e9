"""Two workers started with the same settings serve the same bytes for the same request.

Precision is a deployment setting (no worker times bfloat16 against float32 when it loads), so which
worker picks a request up never changes the answer.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from tests.live_stack import http

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _history() -> list[dict]:
    rng = np.random.default_rng(11)
    hours = np.arange(5 * 168)
    load = 900 * (1 + 0.5 * np.sin(2 * np.pi * (hours - 8) / 24)) * rng.lognormal(0, 0.08, hours.size)
    start = np.datetime64("2024-01-01T00")
    return [{"timestamp": str(start + np.timedelta64(int(h), "h")), "load": round(float(v), 3)}
            for h, v in zip(hours, load)]


def _restart_and_wait(stack, i: int, timeout: float = 90.0) -> None:
    """Restart worker ``i`` and wait until its new process has loaded the model."""
    loaded = stack.worker_log(i).count("model loaded")
    stack.restart_worker(i)
    deadline = time.monotonic() + timeout
    while stack.worker_log(i).count("model loaded") <= loaded:
        assert time.monotonic() < deadline, stack.worker_log(i)[-2000:]
        time.sleep(0.2)


def _served_by_only(stack, i: int, body: dict) -> bytes:
    """The body of POST /api/forecast while worker ``i`` is the only live one."""
    other = 1 - i
    stack.kill_worker(other)
    try:
        reply = http("POST", stack.base_url + "/api/forecast", body, timeout=60)
        assert reply.status == 200, reply.body[:500]
        return reply.body
    finally:
        _restart_and_wait(stack, other)


def test_each_worker_serves_the_same_bytes(live_stack):
    body = {"hours_ahead": 48, "history": _history()}
    first = _served_by_only(live_stack, 0, body)
    second = _served_by_only(live_stack, 1, body)
    assert b'"precision": "fp32"' in first or b'"precision":"fp32"' in first
    assert first == second
    live_stack.wait_healthy(live=2)
