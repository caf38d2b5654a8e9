"""A batch whose plans say ``plan_per_series``: one query each, one plan per series it returns.

The API cannot know how many series a query returns, so it stores the plans as given and publishes this
step instead of the chunks. Here each expanding plan is queried once and becomes one plan per series
(its other fields, the series as its history, the label's value as its id); the batch's plans are
chunked again, the job's plan and chunk counts rewritten, and only then are the chunk tasks sent, so
progress, paging and the portfolio see an ordinary batch. A plan whose query fails, and a series without
the label, fail alone as plans of their own.
"""
from __future__ import annotations

import logging

from jobs.job_request import PlanEntry
from jobs.store import OPEN, JobStore
from workers import sources
from workers.sources import SourceClients, SourceError

log = logging.getLogger("capplan.worker")
MAX_PLANS = 10_000        # as a batch request may list (api.schemas.requests.MAX_BATCH_PLANS)


def per_series(entry: PlanEntry) -> str | None:
    return entry.get("request", {}).get("source", {}).get("plan_per_series")


def expanded(entry: PlanEntry, clients: SourceClients, room: int) -> list[PlanEntry]:
    """The plans of each series ``entry``'s query returns, at most ``room`` of them; or ``entry`` failed."""
    request, label_name = entry["request"], per_series(entry)
    try:
        label, series, warnings = clients.fetch(request["source"])
        if not series:
            raise SourceError(sources.SOURCE_ERROR, f"{label}: the query returned no series, so no plans")
        if len(series) > room:
            raise SourceError(sources.SOURCE_ERROR, f"{label}: the query returned {len(series)} series; a batch "
                                                    f"plans at most {MAX_PLANS} in all")
    except SourceError as e:
        log.warning("history source failed", extra={"plan_id": entry["id"], "code": e.code, "error": e.message})
        return [{"id": entry["id"], "error": sources.error_fields(e)}]
    plans: list[PlanEntry] = []
    ordered = sorted(series, key=lambda s: (label_name not in s.labels, s.labels.get(label_name, ""),
                                            sources.described(s.labels)))
    for k, one in enumerate(ordered):
        if label_name not in one.labels:
            error = SourceError(sources.SOURCE_ERROR, f"{label}: the series {sources.described(one.labels)} has no "
                                                      f"label {label_name} to name its plan")
            plans.append({"id": f"{entry['id']}#{k}", "error": sources.error_fields(error)})
            continue
        try:
            plans.append({"id": one.labels[label_name], "request": sources.resolved(request, label, one, warnings)})
        except SourceError as e:
            plans.append({"id": one.labels[label_name], "error": sources.error_fields(e)})
    return plans


def expand_batch(store: JobStore, clients: SourceClients, job_id: str, chunks: int, chunk_size: int) -> int:
    """Expand the batch's per-series plans and store its new chunks; return how many chunks to send (0: none,
    the job is gone or finished). Run again (redelivered), it sends the chunks it wrote before."""
    record = (store.load([job_id]) or [None])[0]
    if record is None or record["status"] not in OPEN:
        return 0
    summary = record["request"]
    if summary.get("expanded"):
        return int(summary["chunks"])
    store.start([job_id])
    given = [p for i in range(chunks) for p in (store.load_chunk(job_id, i) or {"plans": []})["plans"]]
    plans: list[PlanEntry] = []
    for n, entry in enumerate(given):
        if per_series(entry) and "error" not in entry:
            room = MAX_PLANS - len(plans) - (len(given) - n - 1)
            plans += expanded(entry, clients, max(room, 0))
        else:
            plans.append(entry)
    new = [{"offset": i, "plans": plans[i:i + chunk_size]} for i in range(0, len(plans), chunk_size)]
    if store.status(job_id) not in OPEN:
        return 0                                     # cancelled meanwhile
    store.rewrite_batch(job_id, chunks, new, {**summary, "plans": len(plans), "chunks": len(new), "expanded": True})
    log.info("batch expanded", extra={"plans_given": len(given), "plans": len(plans), "chunks": len(new)})
    return len(new)
