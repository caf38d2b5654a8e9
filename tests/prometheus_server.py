"""A private Prometheus over backfilled hourly series, for the tests and benchmarks (never anyone's Prometheus).

The series are written as OpenMetrics text, turned into TSDB blocks by ``promtool tsdb create-blocks-from
openmetrics``, and served by ``prometheus`` on a free port of 127.0.0.1 with its own data directory.
Without the two binaries (Debian's ``prometheus`` package; .ci/run installs it) ``prometheus_or_skip``
skips the calling test, and says why.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from tests.local_server import ServerProcess

HOUR_S = 3600
WEEKS = 5
SERVICES = ("web", "api", "db", "cache")
GAPPY = "gappy"                   # a service with missing hours and "NaN" samples
GAPPY_MISSING = range(100, 106)   # its hours (counted from the first) with no sample at all
GAPPY_NAN = (200, 201)            # and with a NaN sample
LOAD_METRIC = "capplan_test_load"           # a gauge, one sample per hour
COUNTER_METRIC = "http_requests_total"      # a counter, one sample every 10 minutes
MAX_BLOCK_HOURS = 486                       # the largest block range Prometheus itself compacts to (2h x 3^5)


def binaries() -> tuple[str | None, str | None]:
    return shutil.which("prometheus"), shutil.which("promtool")


def prometheus_or_skip() -> None:
    import pytest

    if None in binaries():
        pytest.skip("prometheus and promtool are not installed (Debian: apt-get install prometheus; .ci/run "
                    "installs it as root), so histories from Prometheus are UNTESTED here", allow_module_level=True)


def last_whole_hour() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def service_load(service: int | str, hours: int, seed: int = 0) -> np.ndarray:
    """[hours] a load with a daily and a weekly cycle, a trend and noise, all > 0, seeded by the service."""
    key = service if isinstance(service, int) else sum(map(ord, service))
    rng = np.random.default_rng(seed * 100_003 + key)
    t = np.arange(hours)                                                    # [hours]
    base = 200 + 50 * (key % 17)
    daily = 0.35 * np.sin(2 * np.pi * (t % 24 - 8) / 24)
    weekly = np.where((t // 24) % 7 >= 5, -0.25, 0.0)
    return np.round(base * (1 + daily + weekly + 0.0005 * t) * rng.normal(1.0, 0.03, hours), 3)


@dataclass
class Dataset:
    """What the test Prometheus holds: the hourly loads of each service, ending at ``end``."""

    end: datetime
    loads: dict[str, np.ndarray] = field(default_factory=dict)     # service -> [hours]
    orphans: int = 1            # series of LOAD_METRIC without a service label
    counters: bool = True       # also COUNTER_METRIC for the first services, for rate() queries

    @property
    def hours(self) -> int:
        return len(next(iter(self.loads.values())))

    @property
    def start(self) -> datetime:
        return self.end - timedelta(hours=self.hours - 1)

    def expected(self, service: str) -> np.ndarray:
        """The hourly history a query of this service's load should give (gaps interpolated)."""
        values = self.loads[service].astype(float).copy()
        if service == GAPPY:
            bad = np.zeros(len(values), bool)
            bad[list(GAPPY_MISSING)] = True
            bad[list(GAPPY_NAN)] = True
            idx = np.arange(len(values))
            values[bad] = np.interp(idx[bad], idx[~bad], values[~bad])
        return values

    def write_openmetrics(self, path: Path) -> None:
        first = int(self.start.replace(tzinfo=timezone.utc).timestamp())
        with open(path, "w") as out:
            out.write(f"# TYPE {LOAD_METRIC} gauge\n")
            for service, values in self.loads.items():
                for h, v in enumerate(values):
                    if service == GAPPY and h in GAPPY_MISSING:
                        continue
                    text = "NaN" if service == GAPPY and h in GAPPY_NAN else repr(float(v))
                    out.write(f'{LOAD_METRIC}{{service="{service}"}} {text} {first + h * HOUR_S}\n')
            for k in range(self.orphans):
                for h in range(self.hours):
                    out.write(f'{LOAD_METRIC}{{job="orphan{k}"}} 1.0 {first + h * HOUR_S}\n')
            if self.counters:
                out.write(f"# TYPE {COUNTER_METRIC[:-len('_total')]} counter\n")
                for service in list(self.loads)[:2]:
                    total = 0.0
                    for h, per_hour in enumerate(self.loads[service]):
                        for tick in range(6):       # six samples an hour
                            total += per_hour * 600      # rate() per second: the hour's load
                            out.write(f'{COUNTER_METRIC}{{service="{service}"}} {total:.1f} '
                                      f'{first + h * HOUR_S + tick * 600 + 600}\n')
            out.write("# EOF\n")


def default_dataset(end: datetime | None = None, weeks: int = WEEKS) -> Dataset:
    hours = weeks * 168
    names = (*SERVICES, GAPPY)
    return Dataset(end or last_whole_hour(), {name: service_load(name, hours) for name in names})


def many_services(count: int, weeks: int = 4, end: datetime | None = None) -> Dataset:
    """``count`` services (svc0000...) of ``weeks`` weeks each: the benchmark's fleet."""
    hours = weeks * 168
    return Dataset(end or last_whole_hour(), {f"svc{i:04d}": service_load(i, hours) for i in range(count)},
                   orphans=0, counters=False)


class PrometheusServer(ServerProcess):
    """``PrometheusServer(dataset).start()``: backfilled, then served; ``.url``, ``.stop()``, ``.close()``."""

    def __init__(self, dataset: Dataset | None = None):
        super().__init__("prometheus", self._command, ready_path="/-/ready")
        self.dataset = dataset or default_dataset()
        self._backfilled = False

    def _command(self, port: int, folder: Path) -> list[str]:
        config = folder / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
        return [binaries()[0], f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d",
                "--log.level=warn"]

    def backfill(self) -> None:
        source = self.dir / "series.om"
        self.dataset.write_openmetrics(source)
        # Blocks as long as Prometheus would compact them to: 2-hour blocks (the default) slow every query.
        done = subprocess.run([binaries()[1], "tsdb", "create-blocks-from", "openmetrics", "-q",
                               f"--max-block-duration={MAX_BLOCK_HOURS}h", str(source),
                               str(self.dir / "data")], capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise RuntimeError(f"promtool could not backfill: {done.stderr[-2000:]}")
        source.unlink()
        self._backfilled = True

    def range_queries(self) -> float:
        """How many range queries this server has answered, by its own /metrics."""
        import re
        import urllib.request

        text = urllib.request.urlopen(self.url + "/metrics", timeout=5).read().decode()
        found = re.findall(r'prometheus_http_requests_total\{code="\d+",handler="/api/v1/query_range"\} (\S+)', text)
        return sum(map(float, found))

    def start(self, timeout: float = 120.0) -> "PrometheusServer":
        if not self._backfilled:
            self.backfill()
        super().start(timeout)
        return self


if __name__ == "__main__":  # manual use: python tests/prometheus_server.py
    with PrometheusServer() as server:
        print(server.url)
        server.proc.wait()
