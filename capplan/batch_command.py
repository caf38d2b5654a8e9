"""`capplan batch`: read the plans file, send the plans it can read, merge the service's results back in file order.

A row with a cell the CLI cannot read stays here as a failed plan, with its line and column. Sending the
bad text instead, for the service to refuse, would trade that message for a vaguer one ("must be a
number", no line) and would rely on the service refusing it: a local hour that daylight saving repeats
or skips is valid text to the API, which reads it as UTC.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from typing import TextIO

from capplan.batch_file import PlanRow, read_plans
from capplan.csv_cells import neutralise
from capplan.local_input import LocalInputError
from capplan.plan_fields import BATCH_COLUMNS
from capplan.service_client import ServiceClient
from capplan.summary import batch_lines

EXIT_OK, EXIT_FAILED_PLANS = 0, 2
LOCAL_COLUMNS = ["index", "id", "success", "error"]   # the results columns a plan refused here fills
# Columns that carry the file's own text (ids, messages quoting a cell); every other cell is a number or
# a word the service wrote, and the service's CSV already neutralised its text.
TEXT_COLUMNS = ("id", "error")


def run_batch(service: ServiceClient, args, zone) -> int:
    rows = read_plans(args.plans_csv, zone)
    with _results_file(args.out) as out:        # opened first: a bad --out path sends nothing
        job, header, results = _submit(service, [row.plan for row in rows if row.plan is not None], args.json,
                                       args.notify)
        outcomes, table = _merge(rows, results)
        if out is not None:
            _write_table(out, ["line", *header], table)
    if args.json:
        json.dump(job, sys.stdout, indent=2)
        sys.stdout.write("\n")
        for o in outcomes:
            if not o["sent"]:
                print(f"capplan batch: {args.plans_csv}, line {o['line']}: {o['error']}", file=sys.stderr)
    else:
        lines = batch_lines(job, outcomes, args.plans_csv)
        if args.out and args.out != "-":
            lines.append(f"Results, one row per plan with its line: {args.out}")
        print("\n".join(lines), file=sys.stderr if args.out == "-" else sys.stdout)
    return EXIT_FAILED_PLANS if any(not o["success"] for o in outcomes) else EXIT_OK


def _submit(service: ServiceClient, plans: list[dict], quiet: bool,
            notify: list[str] | None = None) -> tuple[dict, list[str], dict[int, dict]]:
    """(finished job, results header, results by plan index); nothing to send, nothing sent."""
    if not plans:
        return {}, LOCAL_COLUMNS, {}
    body = {"plans": plans, **({"notify": notify} if notify else {})}
    _, accepted = service.request("POST", "/api/capacity/batch", body)
    job = service.wait_for(accepted["job_id"], progress=sys.stderr.isatty() and not quiet)
    _, data = service.request("GET", f"/api/jobs/{accepted['job_id']}/results?format=csv")
    return (job, *_results(data))


@contextlib.contextmanager
def _results_file(path: str | None):
    if not path:
        yield None
    elif path == "-":
        yield sys.stdout
    else:
        try:
            f = open(path, "w", newline="")
        except OSError as e:
            raise LocalInputError(f"--out {path}: cannot write it ({e.strerror or e})") from None
        with f:
            yield f


def _results(data: bytes) -> tuple[list[str], dict[int, dict]]:
    """The service's results CSV: its header, and its rows by plan index."""
    reader = csv.DictReader(io.StringIO(data.decode()))
    return list(reader.fieldnames or LOCAL_COLUMNS), {int(r["index"]): r for r in reader}


def _merge(rows: list[PlanRow], results: dict[int, dict]):
    """One outcome and one results row per file row, in file order; sent plans are indexed in sending order."""
    outcomes, table, index = [], [], 0
    for row in rows:
        if row.plan is None:
            record = {"id": row.plan_id, "success": "False", "error": row.error}
        else:
            record = results.get(index) or {"index": index, "id": row.plan_id, "success": "False",
                                            "error": "no result from the service"}
            index += 1
        record["error"] = _named(record.get("error") or "")
        outcomes.append({"line": row.line, "id": record.get("id") or row.plan_id,
                         "success": record.get("success") == "True", "error": record["error"],
                         "sent": row.plan is not None})
        table.append({"line": row.line, **record})
    return outcomes, table


def _named(error: str) -> str:
    """The service's "current_load: must be ..." as "column current_load: must be ...", like the CLI's own."""
    name = error.split(":", 1)[0]
    return f"column {error}" if name in BATCH_COLUMNS else error


def _write_table(out: TextIO, columns: list[str], table: list[dict]) -> None:
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, **{c: neutralise(row[c]) for c in TEXT_COLUMNS if c in row}} for row in table)
