"""The model of this worker process: loaded once, after the fork, on FORECAST_DEVICE; and its heartbeat."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

from capplan.config import Settings
from jobs.heartbeats import HEARTBEAT_EVERY_S, WORKERS_KEY, publish
from jobs.stalls import StallSweeper
from jobs.store import JobStore, redis_from_url

log = logging.getLogger("capplan.worker")

_lock = threading.Lock()
_forecaster = None


def get_forecaster(settings: Settings):
    """This process's Forecaster, loaded on first use (never before the fork: CUDA does not survive it)."""
    global _forecaster
    if _forecaster is None:
        with _lock:
            if _forecaster is None:
                started = time.perf_counter()
                _forecaster = _load(settings)
                log.info("model loaded", extra={"model": _forecaster.info,
                                                "load_s": round(time.perf_counter() - started, 3)})
    return _forecaster


def _load(settings: Settings):
    from models.serving import Forecaster, load_forecaster  # torch is imported here, in the child
    from models.serving_config import ServingConfigError, parse_overrides

    try:
        overrides = parse_overrides(settings.FORECAST_SERVING)
    except ServingConfigError as exc:                             # the model cannot serve as asked: say why
        return Forecaster({"loaded": False, "name": "", "version": "", "device": "cpu", "error": f"FORECAST_SERVING: {exc}"})
    return load_forecaster(settings.MODEL_DIR, device=settings.FORECAST_DEVICE, precision=settings.FORECAST_PRECISION,
                           allow_unsafe_pickle=settings.ALLOW_UNSAFE_PICKLE, overrides=overrides)


def forget_forecaster() -> None:
    """Drop a model inherited through fork; the child loads its own."""
    global _forecaster
    _forecaster = None


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat(threading.Thread):
    """Loads the model, then publishes this process's model info in Redis every few seconds, and offers to
    sweep stalled jobs (jobs.stalls) as often."""

    def __init__(self, settings: Settings, queues: list[str], on_beat=None, on_swept=None):
        super().__init__(name="capplan-heartbeat", daemon=True)
        self.settings = settings
        self.queues = queues
        self.on_beat = on_beat            # called with the Redis client after each beat (workers.recovery)
        self.on_swept = on_swept          # called with the ids of the jobs a sweep failed
        self.stopped = threading.Event()

    def record(self) -> dict:
        return {"id": process_id(), "node": f"{socket.gethostname()}:{os.getppid()}", "pid": os.getpid(),
                "queues": self.queues, "model": dict(get_forecaster(self.settings).info)}

    def run(self) -> None:
        client = redis_from_url(self.settings.REDIS_URL, timeout=2.0)
        sweeper = StallSweeper(JobStore(client, self.settings.RESULT_TTL), self.settings.no_progress_timeout,
                               on_failed=self.on_swept)
        while not self.stopped.is_set():
            try:
                publish(client, process_id(), self.record())
                if self.on_beat is not None:
                    self.on_beat(client)
            except Exception:  # noqa: BLE001 - a heartbeat must outlive Redis outages and model errors
                log.warning("heartbeat failed", exc_info=True)
            try:
                sweeper.sweep_if_due()
            except Exception:  # noqa: BLE001 - the next heartbeat tries again
                log.warning("stall sweep failed", exc_info=True)
            self.stopped.wait(HEARTBEAT_EVERY_S)
        try:
            client.hdel(WORKERS_KEY, process_id())
        except Exception:  # noqa: BLE001
            pass
