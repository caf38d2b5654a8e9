"""Range queries against a configured Prometheus (or Thanos, Mimir, VictoriaMetrics: the same query API).

``POST /api/v1/query_range`` with a form body, one point per hour; a range of more points than the
target's ``max_points`` goes as several queries whose series are joined by their labels. Connection
errors and 5xx answers are retried with backoff (urllib3's Retry), each call waits at most the target's
``timeout_s``, and redirects are not followed: capplan calls no address its operator did not configure.
Every error is a SourceError that names the target by its label and quotes Prometheus's own message,
never the URL, a header or a credential.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from connectors.targets import Target, TargetError

STEP_S = 3600
HOUR = timedelta(hours=1)
SOURCE_UNAVAILABLE = "source_unavailable"    # no answer: connection refused, timeout, 5xx after retries
SOURCE_ERROR = "source_error"                # an answer capplan cannot plan on: an error, no series, ...
MAX_QUOTED = 300                             # characters of Prometheus's message quoted in ours
RETRIES = 2
# Prometheus's errorTypes for a query it could not finish, as when it shuts down mid-query ("canceled" comes
# with HTTP 499): unavailable, like a 5xx, not an answer about the query.
TRANSIENT_ERRORS = ("canceled", "timeout", "unavailable")
BACKOFF_S = 0.25


class SourceError(Exception):
    """A history source failed; ``code`` is SOURCE_UNAVAILABLE or SOURCE_ERROR, the message names the target."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    hours: np.ndarray              # [P] int64, hours since the epoch (UTC) of each finite sample
    values: np.ndarray             # [P] float64
    dropped: int = 0               # samples that were "NaN" or infinite


@dataclass
class RangeResult:
    series: list[Series]
    warnings: list[str] = field(default_factory=list)


def _epoch_hours(when: datetime) -> int:
    return int(when.replace(tzinfo=timezone.utc).timestamp()) // STEP_S


def _quoted(text) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "..."


class PrometheusClient:
    """One configured target's query API over one pooled HTTP session; credentials are read per call."""

    def __init__(self, target: Target, retries: int = RETRIES, backoff_s: float = BACKOFF_S):
        self.target = target
        self.session = requests.Session()
        self.session.trust_env = False          # no proxy or .netrc from the environment: only the configured URL
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0, redirect=0,
                      backoff_factor=backoff_s, status_forcelist=range(500, 600),
                      allowed_methods=frozenset({"POST"}), raise_on_status=False, raise_on_redirect=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    @property
    def label(self) -> str:
        return self.target.label

    def close(self) -> None:
        self.session.close()

    def query_range(self, query: str, start: datetime, end: datetime) -> RangeResult:
        """The hourly samples of ``query`` from ``start`` to ``end`` (naive UTC, whole hours, both included)."""
        first, last = _epoch_hours(start), _epoch_hours(end)
        most = self.target.max_points
        parts: dict[tuple, list] = {}
        warnings: list[str] = []
        for lo in range(first, last + 1, most):
            hi = min(last, lo + most - 1)
            data, said = self._post(query, lo * STEP_S, hi * STEP_S)
            warnings += [w for w in said if w not in warnings]
            for entry in data:
                labels = entry.get("metric") or {}
                parts.setdefault(tuple(sorted(labels.items())), []).extend(entry.get("values") or ())
        return RangeResult([self._series(dict(key), samples) for key, samples in parts.items()], warnings)

    def _series(self, labels: dict, samples: list) -> Series:
        try:
            stamps = np.fromiter((float(s[0]) for s in samples), float, len(samples))         # [P]
            # Prometheus writes sample values as strings: "NaN", "+Inf" and "-Inf" among them.
            values = np.fromiter((float(s[1]) for s in samples), float, len(samples))         # [P]
        except (TypeError, ValueError, IndexError):
            raise self._error(SOURCE_ERROR, "answered samples that are not [time, \"value\"] pairs") from None
        finite = np.isfinite(values)
        hours = (stamps[finite] // STEP_S).astype(np.int64)
        return Series(labels, hours, values[finite], int((~finite).sum()))

    def _post(self, query: str, start: int, end: int) -> tuple[list, list[str]]:
        try:
            headers = self.target.request_headers()
        except TargetError as e:
            raise SourceError(SOURCE_ERROR, str(e)) from None
        form = {"query": query, "start": str(start), "end": str(end), "step": str(STEP_S)}
        try:
            reply = self.session.post(self.target.url + "/api/v1/query_range", data=form, headers=headers,
                                      timeout=self.target.timeout_s, allow_redirects=False)
        except requests.Timeout:
            raise self._error(SOURCE_UNAVAILABLE, f"no answer within {self.target.timeout_s:g} s") from None
        except requests.exceptions.ChunkedEncodingError:
            # The server went away while sending its answer: urllib3 retries connecting, not reading a body.
            raise self._error(SOURCE_UNAVAILABLE, "connection lost in the middle of the answer") from None
        except requests.RequestException as e:
            # The exception's text holds the URL; its kind is what the reader needs.
            reason = "cannot connect" if isinstance(e, requests.ConnectionError) else type(e).__name__
            raise self._error(SOURCE_UNAVAILABLE, f"{reason} (after {RETRIES} retries)") from None
        return self._data(reply)

    def _data(self, reply: requests.Response) -> tuple[list, list[str]]:
        try:
            body = reply.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            code = SOURCE_UNAVAILABLE if reply.status_code >= 500 else SOURCE_ERROR
            raise self._error(code, f"answered HTTP {reply.status_code} without a Prometheus body")
        if body.get("status") != "success":
            transient = reply.status_code >= 500 or body.get("errorType") in TRANSIENT_ERRORS
            code = SOURCE_UNAVAILABLE if transient else SOURCE_ERROR
            kind = body.get("errorType") or f"HTTP {reply.status_code}"
            raise self._error(code, f"{_quoted(kind)}: {_quoted(body.get('error') or 'no message')}")
        data = body.get("data") or {}
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise self._error(SOURCE_ERROR, f"answered a {_quoted(data.get('resultType'))} result, not a range "
                                            "(matrix)")
        return data["result"], [_quoted(w) for w in body.get("warnings") or () if isinstance(w, str)]

    def _error(self, code: str, what: str) -> SourceError:
        return SourceError(code, f"{self.label}: {what}")


def hour_range(end: datetime, hours: int) -> tuple[datetime, datetime]:
    """The whole-hour range of ``hours`` points ending at ``end``."""
    end = end.replace(minute=0, second=0, microsecond=0)
    return end - (hours - 1) * HOUR, end


def points_in(start: datetime, end: datetime) -> int:
    return int(math.floor((end - start) / HOUR)) + 1
