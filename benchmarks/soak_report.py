"""What the soak test records while it runs, and the report it prints: figures, then each target checked."""
from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field

SYNC_OPS = ("forecast", "plan")
FINAL = ("succeeded", "failed", "cancelled")


@dataclass
class Job:
    tenant: str
    kind: str
    plans: int = 0
    status: str = "queued"
    plans_back: int = 0


@dataclass
class Recorder:
    """Every request (start second, operation, status, seconds taken), the jobs made, faults and samples."""

    requests: list = field(default_factory=list)
    jobs: dict = field(default_factory=dict)
    sync_answered: int = 0
    faults: list = field(default_factory=list)         # (kind, start s, end s)
    depth: list = field(default_factory=list)          # (s, queued tasks)
    memory: list = field(default_factory=list)         # (s, {process: MB})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, at: float, op: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests.append((at, op, status, seconds))
            self.sync_answered += op in SYNC_OPS and status == 200

    def job(self, job_id: str, tenant: str, kind: str, plans: int = 0) -> None:
        with self.lock:
            self.jobs.setdefault(job_id, Job(tenant, kind, plans))

    def own_jobs(self, tenant: str, last: int = 50) -> list[str]:
        with self.lock:
            return [j for j, job in list(self.jobs.items())[-last * 2:] if job.tenant == tenant][-last:]

    def fault_at(self, at: float, grace: float = 0.0) -> str | None:
        """The fault under way at second ``at`` (``grace`` seconds after its end too), else None."""
        for kind, start, end in self.faults:
            if start <= at <= end + grace:
                return kind
        return None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (second, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points) or 1.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def sync_latency(rec: Recorder, during: bool) -> list[float]:
    """Seconds of sync forecasts and plans that answered (200, or 202 when the wait ran out)."""
    return [s for at, op, status, s in rec.requests
            if op in SYNC_OPS and status in (200, 202) and (rec.fault_at(at) is not None) == during]


def unexpected_5xx(rec: Recorder) -> Counter:
    """5xx (and 0: no answer) other than 503 while Redis was down or coming back."""
    return Counter(status for at, _op, status, _s in rec.requests
                   if (status >= 500 or status == 0) and not (status == 503 and rec.fault_at(at) == "redis"))


def lost(rec: Recorder) -> tuple[int, int]:
    """Jobs that never reached a final status; plans not back (of batches that succeeded, or were lost)."""
    jobs = [j for j in rec.jobs.values() if j.status not in FINAL]
    plans = sum(j.plans for j in jobs) + sum(j.plans - j.plans_back for j in rec.jobs.values()
                                             if j.status == "succeeded" and j.kind == "batch")
    return len(jobs), plans


def print_report(rec: Recorder, minutes: float) -> None:
    by_status = Counter(status for _at, _op, status, _s in rec.requests)
    by_op = Counter(op for _at, op, _status, _s in rec.requests)
    final = Counter(j.status for j in rec.jobs.values())
    jobs_lost, plans_lost = lost(rec)
    print(f"capplan soak: {minutes:g} min, {len(rec.requests)} requests from 2 tenants "
          f"({dict(sorted(by_op.items()))}); {os.cpu_count()} CPUs, load average {os.getloadavg()[1]:.1f} (5 min)")
    print(f"  requests by status: {dict(sorted(by_status.items()))}")
    print(f"  faults: " + "; ".join(f"{kind} at {start:.0f}-{end:.0f} s" for kind, start, end in rec.faults))
    print(f"  jobs: {rec.sync_answered + len(rec.jobs)} submitted ({rec.sync_answered} answered in the call, "
          f"{len(rec.jobs)} as 202 jobs); finished {dict(final)}; lost {jobs_lost}")
    batches = [j for j in rec.jobs.values() if j.kind == "batch"]
    cancelled = sum(j.plans for j in batches if j.status == "cancelled")
    print(f"  plans: {sum(j.plans for j in batches)} in {len(batches)} batches ({cancelled} in cancelled ones); "
          f"back {sum(j.plans_back for j in batches)}; lost {plans_lost}")
    outside, during = sync_latency(rec, False), sync_latency(rec, True)
    for name, values in (("outside faults", outside), ("during faults", during)):
        print(f"  sync path {name}: p50 {pct(values, .5) * 1000:.1f} ms, p99 {pct(values, .99) * 1000:.1f} ms "
              f"(n={len(values)})")
    depth_slope = slope_per_minute(rec.depth)
    series = ", ".join(f"{t:.0f}s:{d}" for t, d in rec.depth[::6])
    print(f"  queue depth (every 30 s): {series}; max {max((d for _, d in rec.depth), default=0)}, "
          f"slope {depth_slope:+.2f} tasks/min")
    print_memory(rec)
    print_targets(rec, jobs_lost, plans_lost, outside)


def print_memory(rec: Recorder) -> None:
    if not rec.memory:
        return
    first, last = rec.memory[0][1], rec.memory[-1][1]
    stored = sum(1 for at, op, status, _s in rec.requests if status in (200, 202) and op not in ("poll", "cancel"))
    print("  memory RSS (MB), first sample -> end, slope: " + "; ".join(
        f"{name} {first.get(name, 0):.0f} -> {last[name]:.0f} ({memory_slope(rec, name):+.2f}/min)"
        for name in last))
    print(f"  (Redis keeps every job's result for RESULT_TTL, 24 h: it grows with the {stored} jobs stored, "
          "as it should; the other processes should not)")


def memory_slope(rec: Recorder, name: str) -> float:
    """MB per minute of one process since its last start, once warm (a restarted worker loads its model again)."""
    points = [(t, m[name]) for t, m in rec.memory if name in m]
    restarts = [i for i in range(1, len(points)) if points[i][1] < 0.8 * points[i - 1][1]]
    points = points[restarts[-1]:] if restarts else points
    warm = max((v for _, v in points), default=0.0) * 0.8
    return slope_per_minute([p for i, p in enumerate(points) if min(v for _, v in points[i:]) >= warm])


def print_targets(rec: Recorder, jobs_lost: int, plans_lost: int, outside: list[float]) -> None:
    bad_5xx = unexpected_5xx(rec)
    api_growth = memory_slope(rec, "api") if rec.memory else 0.0
    checks = [("0 jobs lost", jobs_lost == 0, f"{jobs_lost}"),
              ("0 plans lost", plans_lost == 0, f"{plans_lost}"),
              ("no 5xx but 503 while Redis is down", not bad_5xx, f"{dict(bad_5xx) or 'none'}"),
              ("sync p99 < 100 ms outside faults", pct(outside, .99) < 0.1, f"{pct(outside, .99) * 1000:.1f} ms"),
              ("API memory flat (< 1 MB/min)", abs(api_growth) < 1.0, f"{api_growth:+.2f} MB/min")]
    print("targets:")
    for name, ok, value in checks:
        print(f"  [{'PASS' if ok else 'MISS'}] {name}: {value}")
