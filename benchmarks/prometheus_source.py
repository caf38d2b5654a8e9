"""Histories from Prometheus against histories inline, through the whole service on this machine's cores.

Starts the test Prometheus (tests/prometheus_server.py: backfilled series, a free port), Redis, Celery workers
and the API under gunicorn (tests/live_stack.py), and prints, beside today's path (the same history inline
as JSON) in the same run:
  - a synchronous 24-hour forecast: median and p90 latency; target: at most 30 ms more from Prometheus;
  - a plan_per_series batch of N services x 4 weeks from one query, POST to finished; target: at most 15 s.
Usage: python benchmarks/prometheus_source.py [--series 1000] [--requests 60] [--workers 2]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.live_stack import LiveStack, http  # noqa: E402
from tests.prometheus_server import LOAD_METRIC, PrometheusServer, many_services, prometheus_or_skip  # noqa: E402

FORECAST_TARGET_MS = 30.0
BATCH_TARGET_S = 15.0


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def forecast_latencies(stack, body: dict, count: int) -> list[float]:
    """Seconds per synchronous forecast, ``count`` in a row (after two to warm up)."""
    out = []
    for i in range(count + 2):
        seconds, reply = timed(lambda: http("POST", stack.base_url + "/api/forecast", body, timeout=60))
        if reply.status != 200:
            raise SystemExit(f"bench: forecast answered {reply.status}: {reply.body[:300]!r}")
        if i >= 2:
            out.append(seconds)
    return out


def batch_seconds(stack, body: dict, plans: int) -> float:
    """POST to succeeded, polling every 50 ms."""
    started = time.perf_counter()
    reply = http("POST", stack.base_url + "/api/capacity/batch", body, timeout=120)
    if reply.status != 202:
        raise SystemExit(f"bench: batch answered {reply.status}: {reply.body[:300]!r}")
    job_id = reply.json()["job_id"]
    while True:
        job = http("GET", f"{stack.base_url}/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if job["status"] != "succeeded" or job["result"]["succeeded"] != plans:
        failed = http("GET", f"{stack.base_url}/api/jobs/{job_id}/results?limit=3").json().get("results")
        raise SystemExit(f"bench: batch ended {job['status']}: {str(job.get('error') or failed)[:600]}")
    return elapsed


def ms(values: list[float], q: float) -> float:
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if q < 100 else 1000 * max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--timeout", type=float, default=10.0, help="the target's timeout_s (its default: 10)")
    args = parser.parse_args()
    _skip_or_exit()
    dataset = many_services(args.series, weeks=4)
    print(f"backfilling {args.series} series x {dataset.hours} hours ...", flush=True)
    seconds, prom = timed(lambda: PrometheusServer(dataset).start())
    print(f"test Prometheus ready in {seconds:.1f} s", flush=True)
    config = Path(tempfile.mkdtemp(prefix="capplan-bench-")) / "capplan.toml"
    config.write_text(f'[prometheus.bench]\nurl = "{prom.url}"\ntimeout_s = {args.timeout}\n')
    stack = LiveStack(workers=args.workers, gunicorn_threads=8, settings={
        "CAPPLAN_CONFIG": str(config), "MAX_CONTENT_LENGTH": 64 * 1024 * 1024, "LOG_LEVEL": "WARNING"})
    try:
        stack.start()
        end = dataset.end.isoformat()
        first = next(iter(dataset.loads))
        inline = {"hours_ahead": 24, "timestamp": end, "history": dataset.loads[first].tolist()}
        fetched = {"hours_ahead": 24, "timestamp": end, "source": {
            "prometheus": "bench", "query": f'{LOAD_METRIC}{{service="{first}"}}', "lookback_hours": dataset.hours}}
        a = forecast_latencies(stack, inline, args.requests)
        b = forecast_latencies(stack, fetched, args.requests)
        print(f"\n24-hour forecast, {dataset.hours}-hour history, {args.requests} synchronous requests in a row")
        print(f"  inline JSON history : median {ms(a, 50):7.1f} ms   p90 {ms(a, 90):7.1f} ms")
        print(f"  from Prometheus     : median {ms(b, 50):7.1f} ms   p90 {ms(b, 90):7.1f} ms")
        extra = ms(b, 50) - ms(a, 50)
        print(f"  extra (median)      : {extra:+7.1f} ms   ratio {ms(b, 50) / ms(a, 50):.2f}x   target <= "
              f"{FORECAST_TARGET_MS:g} ms: {'met' if extra <= FORECAST_TARGET_MS else 'MISSED'}")

        plan = {"current_capacity": 5000, "hours_ahead": 24, "timestamp": end}
        inline_plans = [{**plan, "id": name, "history": values.tolist()} for name, values in dataset.loads.items()]
        per_series = [{**plan, "source": {"prometheus": "bench", "query": f"sum by (service) ({LOAD_METRIC})",
                                          "lookback_hours": dataset.hours, "plan_per_series": "service"}}]
        print(f"\nbatch of {args.series} services x {dataset.hours} hours, POST to finished, {args.workers} workers")
        t_inline = batch_seconds(stack, {"plans": inline_plans}, args.series)
        print(f"  inline JSON histories ({args.series} plans)    : {t_inline:6.2f} s", flush=True)
        t_source = batch_seconds(stack, {"plans": per_series}, args.series)
        print(f"  plan_per_series, one query                 : {t_source:6.2f} s   ratio {t_source / t_inline:.2f}x"
              f"   target <= {BATCH_TARGET_S:g} s: {'met' if t_source <= BATCH_TARGET_S else 'MISSED'}")
    finally:
        stack.close()
        prom.close()


def _skip_or_exit():
    try:
        prometheus_or_skip()
    except BaseException as e:     # pytest's Skipped outside pytest
        raise SystemExit(f"bench: {e}") from None
    return None


if __name__ == "__main__":
    main()
