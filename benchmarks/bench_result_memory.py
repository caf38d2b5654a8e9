"""Redis bytes a 10,000-plan batch leaves behind, the API process's RSS over its CSV downloads, and the time
to export one plan's schedule.

Runs the batch's chunks in this process on a stand-in forecaster (no network), against a fresh
redis-server, then downloads the CSV N times in a fresh process that holds only the API:
    .venv/bin/python benchmarks/bench_result_memory.py --plans 10000 --downloads 32
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys

import numpy as np


def batch_body(n: int, seed: int = 0) -> dict:
    """A batch like the one reported: no histories, 168-hour plans, ~65 bytes each."""
    rng = np.random.default_rng(seed)
    plans = []
    for i in range(n):
        load = round(float(rng.uniform(200, 20_000)), 2)
        plans.append({"id": f"p{i}", "current_load": load, "current_capacity": round(load * 1.5, 2)})
    return {"plans": plans}


def make_app(url: str):
    from api import create_app
    return create_app({"REDIS_URL": url, "ENV": "test", "LOG_LEVEL": "WARNING", "AUTH": "open"})


def fill(url: str, plans: int) -> str:
    """Submit the batch and run every chunk here; print Redis's memory before and after."""
    from tests.stand_in_forecaster import StandInForecaster
    from workers.batch_runner import run_batch_chunk

    app = make_app(url)
    store = app.extensions["capplan"].store
    before = store.redis.info("memory")["used_memory"]
    reply = app.test_client().post("/api/capacity/batch", json=batch_body(plans),
                                   headers={"Prefer": "respond-async"})
    job_id = reply.get_json()["job_id"]
    chunks = -(-plans // app.config["CAPPLAN"].BATCH_CHUNK_SIZE)
    forecaster = StandInForecaster()
    for chunk in range(chunks):
        run_batch_chunk(store, forecaster, job_id, chunk, chunks)
    after = store.redis.info("memory")["used_memory"]
    usage = {suffix: store.redis.memory_usage(store.key(job_id, suffix), samples=0) or 0
             for suffix in ("", ":results")}
    usage[":plan_ids"] = store.redis.memory_usage(store.key(job_id, ":plan_ids"), samples=0) or 0
    print(f"status {store.status(job_id)}; used_memory delta {(after - before) / 1e6:.1f} MB; "
          f"job record {usage[''] / 1e6:.2f} MB, per-plan results {usage[':results'] / 1e6:.2f} MB, "
          f"plan id index {usage[':plan_ids'] / 1e6:.2f} MB")
    schedule_lookups(app, job_id, plans)
    return job_id


def schedule_lookups(app, job_id: str, plans: int) -> None:
    """Seconds to export the first and the last plan's schedule (found by id: the batch's id index)."""
    import time

    client = app.test_client()
    for plan_id in ("p0", f"p{plans - 1}"):
        start = time.perf_counter()
        status = client.get(f"/api/jobs/{job_id}/results/{plan_id}/schedule?format=csv").status_code
        print(f"schedule export of plan {plan_id}: HTTP {status} in {(time.perf_counter() - start) * 1e3:.1f} ms")


def download(url: str, job_id: str, times: int) -> None:
    """In a process holding only the API (served over HTTP by a threaded server): RSS before, at its peak
    and after ``times`` CSV downloads one after another, then ``times`` at once."""
    import threading
    import urllib.request

    import psutil
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, make_app(url), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}/api/jobs/{job_id}/results?format=csv"
    process, peak, sizes = psutil.Process(), [0], []
    done = threading.Event()

    def sample():
        while not done.wait(0.01):
            peak[0] = max(peak[0], process.memory_info().rss)

    def fetch():
        with urllib.request.urlopen(address) as reply:
            sizes.append(sum(len(block) for block in iter(lambda: reply.read(65536), b"")))

    threading.Thread(target=sample, daemon=True).start()
    urllib.request.urlopen(address.replace("?format=csv", "?limit=1")).read()
    def at_once():
        threads = [threading.Thread(target=fetch) for _ in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    for label, run in (("one after another", lambda: [fetch() for _ in range(times)]), ("at once", at_once)):
        start, peak[0] = process.memory_info().rss, 0
        run()
        print(f"CSV {sizes[-1] / 1e6:.2f} MB x {times} {label}: RSS {start / 1e6:.0f} MB -> "
              f"{process.memory_info().rss / 1e6:.0f} MB (peak {peak[0] / 1e6:.0f} MB)")
    done.set()
    server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--downloads", type=int, default=32)
    parser.add_argument("--download", nargs=2, metavar=("REDIS_URL", "JOB_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.download:
        download(*args.download, args.downloads)
        return 0
    from tests.redis_server import RedisProcess

    server = RedisProcess().start()
    try:
        job_id = fill(server.url, args.plans)
        subprocess.run([sys.executable, __file__, "--downloads", str(args.downloads),
                        "--download", server.url, job_id], check=True)
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
