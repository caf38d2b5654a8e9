"""Time what the API spends accepting requests: a 10,000-plan batch and the longest histories.

Starts its own Redis on a free loopback port and calls the Flask app in process (no worker: a batch is
answered 202 once its plans are checked and stored). Prints the median and the fastest of RUNS runs
(the fastest is the steadier figure on a shared machine); asserts nothing.

    .venv/bin/python benchmarks/bench_submission.py
"""
from __future__ import annotations

import json
import statistics
import time

from tests.redis_server import RedisProcess

STAMP = "2024-01-15T10:00:00"
PLANS = 10_000
RUNS = 9


def _plans(with_history: bool) -> list[dict]:
    plans = []
    for i in range(PLANS):
        plan = {"id": f"svc-{i}", "current_capacity": 5000 + i, "scaling_threshold": 0.8, "hours_ahead": 168}
        if with_history:
            plan.update(timestamp=STAMP, history=[800.0 + (h * 37 + i) % 400 for h in range(48)])
        else:
            plan["current_load"] = 1000 + i % 500
        plans.append(plan)
    return plans


def _points(n: int) -> list[dict]:
    return [{"timestamp": f"2023-{1 + (h // 24) // 28:02d}-{1 + (h // 24) % 28:02d}T{h % 24:02d}:{(h * 7) % 60:02d}:00",
             "load": 500.0 + h % 97} for h in range(n)]


def _time(client, path: str, body: dict, runs: int, expect: int) -> list[float]:
    data, times = json.dumps(body), []
    for _ in range(runs):
        started = time.perf_counter()
        reply = client.post(path, data=data, content_type="application/json", headers={"Prefer": "respond-async"})
        times.append(time.perf_counter() - started)
        assert reply.status_code == expect, reply.get_data(as_text=True)[:500]
    return times


def main() -> int:
    from api import create_app

    server = RedisProcess().start()
    try:
        app = create_app({"REDIS_URL": server.url, "LOG_LEVEL": "WARNING", "MAX_CONTENT_LENGTH": 64 << 20,
                          "AUTH": "open"})
        client = app.test_client()
        cases = [
            ("batch 10,000 plans, current_load only", "/api/capacity/batch", {"plans": _plans(False)}, 202),
            ("batch 10,000 plans, 48-hour histories", "/api/capacity/batch", {"plans": _plans(True)}, 202),
            ("forecast, 8,760 hourly values", "/api/forecast",
             {"timestamp": STAMP, "history": [500.0 + h % 97 for h in range(8760)]}, 202),
            ("forecast, 8,064 {timestamp, load} points", "/api/forecast", {"history": _points(8064)}, 202),
        ]
        for name, path, body, expect in cases:
            times = _time(client, path, body, RUNS, expect)
            print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, fastest {min(times) * 1000:.0f} ms "
                  f"({RUNS} runs)")
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
