"""The soak test's stack and its faults: Redis with an AOF, two tenants' keys, gunicorn, two workers.

Built on tests/live_stack.py; what differs is durability (the AOF, so a Redis restart keeps the jobs, as
`capplan run`'s embedded Redis does), AUTH=keys for two tenants, and process memory read with psutil.
"""
from __future__ import annotations

from pathlib import Path

import psutil
import redis

from jobs.queues import QUEUES, WORKER_QUEUES
from tests.api_keys import write_keys
from tests.live_stack import LiveStack, http
from tests.redis_server import RedisProcess

TENANTS = ("alpha", "beta")
# Short task limits give a 20 s visibility timeout: a whole worker SIGKILLed gives its tasks back soon.
SETTINGS = {"LOG_LEVEL": "WARNING", "TASK_TIME_LIMIT": 10, "TASK_SOFT_TIME_LIMIT": 8, "BATCH_CHUNK_SIZE": 50}


class SoakStack(LiveStack):
    """Worker 0 consumes the interactive queue, worker 1 analyses and batches; the API is gunicorn."""

    auth: dict = {}

    def start(self) -> "SoakStack":
        import tempfile

        self.log_dir = Path(tempfile.mkdtemp(prefix="capplan-soak-"))
        self.redis = RedisProcess(appendonly=True, appendfsync="everysec").start()   # as deployed: AOF
        self.worker_procs = [None] * self.workers
        for i in range(self.workers):
            self.start_worker(i)
        self._serve_gunicorn()
        self.wait_healthy(live=self.workers)
        return self

    def health(self):
        """/api/health with a key, so it says how many workers live (without one: only its status)."""
        return http("GET", self.base_url + "/api/health", headers=self.auth, timeout=10)

    def queue_depth(self) -> int | None:
        """Tasks waiting in the three queues; None while Redis does not answer."""
        try:
            client = redis.Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
            return sum(client.llen(queue) for queue in QUEUES)
        except redis.RedisError:
            return None

    def memory_mb(self) -> dict[str, float]:
        """Resident memory of Redis, the API (gunicorn and its worker) and each Celery worker with its pool."""
        named = {"redis": self.redis.proc, "api": self.api_proc,
                 **{f"worker{i}": proc for i, proc in enumerate(self.worker_procs)}}
        return {name: _tree_rss_mb(proc.pid) for name, proc in named.items() if proc is not None}


def _tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def start_soak_stack(key_file: Path) -> tuple[SoakStack, dict[str, str]]:
    """The stack with AUTH=keys; returns it and one API key per tenant (no rate limit or job cap in the way)."""
    keys = write_keys(key_file, {t: {"tenant": t, "rate_limit": "100000/minute", "max_jobs": 5000}
                                 for t in TENANTS})
    queues = tuple(",".join(WORKER_QUEUES[kind]) for kind in ("interactive", "bulk"))
    stack = SoakStack(workers=2, queues=queues, gunicorn_threads=32,
                      settings={**SETTINGS, "AUTH": "keys", "CAPPLAN_CONFIG": str(key_file)})
    stack.auth = {"Authorization": f"Bearer {keys[TENANTS[0]]}"}
    try:
        stack.start()
    except BaseException:
        stack.close()
        raise
    return stack, {t: keys[t] for t in TENANTS}
