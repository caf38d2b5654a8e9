"""A batch's plans, checked one at a time as they are parsed, and stored a chunk at a time.

The body (JSON, or CSV: api.batch_rows) is read into bytes once (api.batch_body); plans are parsed from it
one by one, each validated alone (a bad plan fails alone, with the errors ``batch_entries`` gives it) and
normalised, and every BATCH_CHUNK_SIZE of them packed (jobs.compact) at once. So the plans are never all
Python objects at the same time: one plan, and one chunk of normalised entries, are.

JSON is parsed with ijson's C backend (yajl), plan by plan. It refuses what Python's json reads and the API
has always answered plan by plan (NaN, 1e400, integers past 64 bits, a UTF-16 body) or as a whole (a bad
envelope: an unknown key, too many plans). Such a body is read again by ``json.loads`` and
``batch_entries``, as every batch was before, so each answer stays what it was.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import ijson
from pydantic import ValidationError

from api.batch_rows import csv_plans
from api.job_requests import batch_entries, failed_entry, plan_entry
from api.json_body import parsed_json
from api.schemas import BatchPlan, BatchRequest
from api.schemas.errors import field_errors, invalid
from api.schemas.requests import MAX_BATCH_PLANS
from capplan.errors import InvalidRequest
from capplan.plan_fields import FIELD_OF_COLUMN
from jobs.compact import pack_fast
from jobs.job_request import PlanEntry


class NotStreamable(Exception):
    """The body needs the whole-body reading: its envelope is not {"plans": [...]} or ijson refused it."""


@dataclass
class PackedBatch:
    """A batch's chunks, packed as the store keeps them, and the digest of its plans for Idempotency-Key."""

    chunk_size: int
    path: str
    digesting: bool
    context: dict | None = None               # pydantic's validation context: the configured targets
    chunks: list[str] = field(default_factory=list)
    total: int = 0
    plan_ids: list[str] = field(default_factory=list)
    expands: bool = False                     # a plan asks for one plan per series of its query
    notify: list[str] = field(default_factory=list)   # the batch's targets to tell when it ends (checked)
    _entries: list[PlanEntry] = field(default_factory=list)
    _digest: "hashlib._Hash | None" = None

    def __post_init__(self):
        if self.digesting:
            self._digest = hashlib.sha256(b'{"body":{"plans":[')

    def add(self, raw, columns: dict[str, str] | None = None) -> None:
        """One plan as the client sent it: validated and normalised, or its error (fields renamed by ``columns``)."""
        index = self.total
        try:
            entry = plan_entry(index, BatchPlan.model_validate(raw, context=self.context))
        except ValidationError as e:
            errors = [{**error, "loc": ("plans", index, *error["loc"])} for error in e.errors(include_url=False)]
            entry = failed_entry(index, raw, errors)
            if columns:
                entry["error"] = _renamed(entry["error"], columns)
        self._append(entry, raw)

    def add_failed(self, raw: dict, fields: dict[str, str]) -> None:
        """A plan that failed before its check (a CSV row of the wrong shape)."""
        entry = failed_entry(self.total, raw, [])
        entry["error"] = invalid(fields).as_dict()
        self._append(entry, raw)

    def _append(self, entry: PlanEntry, raw) -> None:
        if self._digest is not None:
            self._digest.update((b"," if self.total else b"") + _canonical(raw))
        self._entries.append(entry)
        self.plan_ids.append(entry["id"])
        self.expands = self.expands or "plan_per_series" in entry.get("request", {}).get("source", {})
        self.total += 1
        if len(self._entries) == self.chunk_size:
            self._pack()

    def _pack(self) -> None:
        offset = len(self.chunks) * self.chunk_size
        self.chunks.append(pack_fast({"offset": offset, "plans": self._entries}))
        self._entries = []

    def finish(self) -> "PackedBatch":
        if self._entries:
            self._pack()
        return self

    @property
    def digest(self) -> str | None:
        """SHA-256 of {"body": {"plans": [...]}, "path": ...} as jobs.store.body_digest writes it; a batch
        with ``notify`` digests that digest and its targets, so that a key replayed with other targets is a
        conflict, not the first batch's answer."""
        if self._digest is None:
            return None
        tail = b']},"path":' + json.dumps(self.path).encode() + b"}"
        whole = self._digest.copy()
        whole.update(tail)
        if not self.notify:
            return whole.hexdigest()
        return hashlib.sha256(whole.hexdigest().encode() + b" notify:" + _canonical(self.notify)).hexdigest()


def _renamed(error: dict, columns: dict[str, str]) -> dict:
    """A plan's error with its fields named as the client's columns name them (last_timestamp, not timestamp)."""
    fields = {}
    for path, why in error["fields"].items():
        root = path.split("[", 1)[0].split(".", 1)[0]
        fields[columns.get(root, root) + path[len(root):]] = why
    return {**invalid(fields).as_dict(), "code": error["code"]}


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def pack_json_batch(data: bytes, batch: PackedBatch) -> PackedBatch:
    """The plans of a JSON body; a bad envelope is one 400, as ``batch_entries`` words it."""
    try:
        notify: dict = {}
        events = _envelope_checked(ijson.parse(io.BytesIO(data), use_float=True), notify)
        for raw in ijson.items(events, "plans.item"):
            if batch.total == MAX_BATCH_PLANS:
                raise NotStreamable()
            batch.add(raw)
        if batch.total == 0:
            raise NotStreamable()
    except (NotStreamable, ijson.JSONError):
        return _whole_body(data, batch)
    batch.notify = _checked_notify(notify, batch.context)
    return batch.finish()


def query_notify(names: list[str], context: dict | None) -> list[str]:
    """A CSV batch's targets, from ``?notify=NAME`` (repeated), checked as a JSON batch's `notify` is."""
    return _checked_notify({"names": names}, context) if names else []


def _checked_notify(given: dict, context: dict | None) -> list[str]:
    """The batch's `notify` as BatchRequest checks it (one 400 naming notify[i]), each name once."""
    if "names" not in given:
        return []
    names = given["names"]
    try:
        BatchRequest.model_validate({"plans": [{"current_capacity": 1, "current_load": 0}], "notify": names},
                                    context=context)
    except ValidationError as e:
        raise invalid(field_errors(e.errors(include_url=False), BatchRequest)) from None
    return list(dict.fromkeys(names))


def _envelope_checked(events: Iterable[tuple], notify: dict) -> Iterator[tuple]:
    """ijson's events, passed on while the top level is an object of ``plans``, a list, and optionally
    ``notify``, a list of strings (collected into ``notify["names"]``)."""
    keys: set[str] = set()
    for event in events:
        prefix, kind, value = event
        if prefix == "":
            if kind == "map_key":
                if value not in ("plans", "notify") or value in keys:
                    raise NotStreamable()
                keys.add(value)
            elif kind not in ("start_map", "end_map"):
                raise NotStreamable()          # the body is a list, a number, a string...
        elif prefix == "plans" and kind in ("start_map", "number", "string", "boolean", "null"):
            raise NotStreamable()              # plans is not a list
        elif prefix == "notify":
            if kind not in ("start_array", "end_array"):
                raise NotStreamable()          # notify is not a list: the whole-body check words it
            notify.setdefault("names", [])
        elif prefix.startswith("notify."):
            if prefix != "notify.item" or kind != "string":
                raise NotStreamable()
            notify["names"].append(value)
        yield event


def _whole_body(data: bytes, fresh: PackedBatch) -> PackedBatch:
    """The body as one ``json.loads``: its 400, or its plans as ``batch_entries`` checks them."""
    body = parsed_json(data)
    entries = batch_entries(body, fresh.context)   # an envelope error is raised here
    batch = PackedBatch(fresh.chunk_size, fresh.path, fresh.digesting, fresh.context)
    for entry, raw in zip(entries, body["plans"]):
        batch._append(entry, raw)
    batch.notify = list(dict.fromkeys(body.get("notify") or ()))   # checked by batch_entries
    return batch.finish()


def pack_csv_batch(data: bytes, batch: PackedBatch) -> PackedBatch:
    """The plans of a CSV body, a row each; a row's error names its plan and its column."""
    header, rows = csv_plans(data)
    columns = {FIELD_OF_COLUMN[name]: name for name in header if name in FIELD_OF_COLUMN}
    for raw, problem in rows:
        if batch.total == MAX_BATCH_PLANS:
            raise InvalidRequest.field("plans", f"must have at most {MAX_BATCH_PLANS} items (rows)")
        if problem:
            batch.add_failed(raw, {"row": problem})
        else:
            batch.add(raw, columns)
    if batch.total == 0:
        raise InvalidRequest.field("body", "has a header and no plans")
    return batch.finish()
