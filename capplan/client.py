"""`capplan forecast | plan | analyze | batch`: ask a running service, print JSON (batch: CSV)."""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import urllib.error
import urllib.request

MULTI_COMMAND = True
NUMERIC_PLAN_KEYS = ("current_capacity", "current_load", "scaling_threshold", "quantile", "headroom", "hysteresis",
                     "unit_capacity", "unit_cost_per_hour", "min_capacity", "max_capacity")
INTEGER_PLAN_KEYS = ("hours_ahead", "lead_time_hours", "min_hold_hours")


class ClientError(Exception):
    """The service answered with an error (or not at all)."""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--url", default=os.environ.get("CAPPLAN_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"),
                        help="service base URL (default: CAPPLAN_URL or http://127.0.0.1:$PORT)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for a job")
    if name == "batch":
        parser.add_argument("plans_csv", help="CSV with a header: id, current_capacity, current_load, "
                                              "hours_ahead, scaling_threshold, ... (one plan per row)")
        parser.add_argument("--out", help="write the per-plan results CSV here (default: stdout)")
        return
    parser.add_argument("--hours", type=int, default=168 if name == "analyze" else 24, help="hours ahead")
    parser.add_argument("--current-load", type=float, help="load at --timestamp (needed without --history)")
    parser.add_argument("--timestamp", help="last observed hour, ISO-8601 (default: this hour, UTC)")
    parser.add_argument("--history", help="file of hourly loads, one per line (or timestamp,load lines)")
    if name in ("plan", "analyze"):
        parser.add_argument("--capacity", type=float, required=True, help="current capacity")
        parser.add_argument("--threshold", type=float, default=0.8, help="scaling threshold (0, 1]")
        parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                            help="another planning option, e.g. --option unit_capacity=500")


def _call(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 60.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if resp.headers.get_content_type() == "application/json" else raw)
    except urllib.error.HTTPError as e:
        try:
            error = json.loads(e.read())["error"]
        except (ValueError, KeyError):
            error = {"message": e.reason}
        raise ClientError(f"HTTP {e.code}: {error.get('message')} {error.get('fields') or ''}".strip()) from None
    except urllib.error.URLError as e:
        raise ClientError(f"cannot reach {url}: {e.reason}") from None


def read_history(path: str) -> list:
    """One load per line, or ``timestamp,load`` per line (then sent as points)."""
    points, values = [], []
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or not row[0].strip() or row[0].strip().lower() in ("load", "timestamp"):
                continue
            if len(row) >= 2:
                points.append({"timestamp": row[0].strip(), "load": float(row[1])})
            else:
                values.append(float(row[0]))
    return points or values


def _body(args: argparse.Namespace) -> dict:
    body: dict = {"hours_ahead": args.hours}
    if args.current_load is not None:
        body["current_load"] = args.current_load
    if args.timestamp:
        body["timestamp"] = args.timestamp
    if args.history:
        body["history"] = read_history(args.history)
    if args.command in ("plan", "analyze"):
        body.update(current_capacity=args.capacity, scaling_threshold=args.threshold)
        for option in args.option:
            key, _, value = option.partition("=")
            body[key.strip()] = json.loads(value) if value.strip() else None
    return body


def wait_for(base: str, job_id: str, timeout: float, progress: bool = False) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, job = _call("GET", f"{base}/api/jobs/{job_id}")
        if progress:
            print(f"\r{job['status']}: {job['progress']['done']}/{job['progress']['total']}", end="",
                  file=sys.stderr, flush=True)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            if progress:
                print(file=sys.stderr)
            if job["status"] != "succeeded":
                raise ClientError(f"job {job_id} {job['status']}: {(job.get('error') or {}).get('message', '')}")
            return job
        time.sleep(0.2)
    raise ClientError(f"job {job_id} not finished after {timeout} s")


def read_plans(path: str) -> list[dict]:
    plans = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            plan: dict = {}
            for key, value in row.items():
                if key is None or value is None or value.strip() == "":
                    continue
                key, value = key.strip(), value.strip()
                if key in NUMERIC_PLAN_KEYS:
                    plan[key] = float(value)
                elif key in INTEGER_PLAN_KEYS:
                    plan[key] = int(value)
                else:
                    plan[key] = value
            plans.append(plan)
    return plans


def run(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/")
    try:
        if args.command == "batch":
            _, accepted = _call("POST", f"{base}/api/capacity/batch", {"plans": read_plans(args.plans_csv)})
            job = wait_for(base, accepted["job_id"], args.timeout, progress=True)
            _, data = _call("GET", f"{base}/api/jobs/{accepted['job_id']}/results?format=csv")
            if args.out:
                with open(args.out, "wb") as f:
                    f.write(data)
            else:
                sys.stdout.write(data.decode())
            print(json.dumps(job["result"]["portfolio"]["totals"], indent=2), file=sys.stderr)
            return 0
        path = {"forecast": "/api/forecast", "plan": "/api/capacity/recommendations",
                "analyze": "/api/capacity/analyze"}[args.command]
        status, body = _call("POST", base + path, _body(args), headers={"Prefer": "respond-async"}
                             if args.command == "analyze" else None)
        if status == 202:
            body = wait_for(base, body["job_id"], args.timeout)["result"]
        json.dump(body, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    # OSError, ValueError: a local file or --option that cannot be read or parsed; no traceback either.
    except (ClientError, OSError, ValueError) as e:
        print(f"capplan {args.command}: {e}", file=sys.stderr)
        return 1
