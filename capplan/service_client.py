"""HTTP to a running capplan service: JSON in and out, the API's errors as ``ClientError``, jobs waited for."""
from __future__ import annotations

import gzip
import json
import sys
import time
import urllib.error
import urllib.request

POLL_S = 0.2
REQUEST_TIMEOUT_S = 60.0
# Bodies the API takes gzipped (Content-Encoding: gzip), and the size past which they are sent so: a
# 10,000-plan batch of four-week histories is ~60 MB of JSON and ~20 MB gzipped.
GZIP_PATHS = ("/api/capacity/batch",)
GZIP_OVER_BYTES = 1024 * 1024
GZIP_LEVEL = 6


class ClientError(Exception):
    """The service refused a request, failed a job, or did not answer; ``fields`` names each bad field."""

    def __init__(self, message: str, fields: dict | None = None, status: int | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.status = status
        self.code = code


class ServiceClient:
    def __init__(self, base_url: str, timeout: float, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout          # for a job to finish
        self.auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        """(status, parsed JSON or raw bytes); an HTTP error status raises ClientError with the API's error."""
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **self.auth, **(headers or {})}
        if data is not None and len(data) > GZIP_OVER_BYTES and path in GZIP_PATHS:
            data = gzip.compress(data, GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if resp.headers.get_content_type() == "application/json"
                                     else raw)
        except urllib.error.HTTPError as e:
            raise _refusal(e) from None
        except urllib.error.URLError as e:
            raise ClientError(f"cannot reach the service at {self.base_url} ({e.reason}); is it running "
                              "(capplan run)? Set its address with --url or CAPPLAN_URL") from None
        except (TimeoutError, OSError) as e:
            raise ClientError(f"no answer from {url} ({e})") from None

    def wait_for(self, job_id: str, progress: bool = False) -> dict:
        """The finished job's record; a failed, cancelled or unfinished job raises ClientError."""
        deadline = time.monotonic() + self.timeout
        while True:
            _, job = self.request("GET", f"/api/jobs/{job_id}")
            if progress:
                done = job.get("progress") or {}
                print(f"\r{job['status']}: {done.get('done', 0)}/{done.get('total', '?')}", end="",
                      file=sys.stderr, flush=True)
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            if time.monotonic() > deadline:
                raise ClientError(f"job {job_id} not finished after {self.timeout:g} s (--timeout); "
                                  f"it goes on: GET {self.base_url}/api/jobs/{job_id}")
            time.sleep(POLL_S)
        if progress:
            print(file=sys.stderr)
        if job["status"] != "succeeded":
            error = job.get("error") or {}
            raise ClientError(f"job {job_id} {job['status']}: {error.get('message') or 'no reason given'}",
                              error.get("fields"))
        return job


def _refusal(e: urllib.error.HTTPError) -> ClientError:
    try:
        error = json.loads(e.read())["error"]
        message, fields = f"{error['message']}", error.get("fields") or {}
        code = error.get("code")
    except (ValueError, KeyError, TypeError):
        message, fields, code = str(e.reason), {}, None
    fields = fields if isinstance(fields, dict) else {}
    if e.code == 401:
        message += "; give the API key with --api-key or CAPPLAN_API_KEY"
    head = f"the service answered HTTP {e.code}{' ' + code if code else ''}"
    if fields and message == "; ".join(f"{name}: {reason}" for name, reason in fields.items()):
        return ClientError(f"{head}; the fields it refused:", fields, e.code, code)   # listed one per line
    return ClientError(f"{head}: {message}", fields, e.code, code)
