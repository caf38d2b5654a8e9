"""A batch's per-plan results as CSV rows: one line per plan, the numbers a spreadsheet user wants."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from capplan.csv_cells import neutralise_row

CSV_COLUMNS = ["index", "id", "success", "action", "urgency", "current_capacity", "recommended_capacity",
               "capacity_change", "capacity_change_percent", "max_predicted_load", "max_utilization",
               "risk_level", "p90_risk_level", "critical_hours", "method", "history_source", "error"]


def csv_row(result: dict) -> list:
    """One plan's cells; text that a spreadsheet would run as a formula starts with a quote."""
    rec = result.get("recommendations") or {}
    metrics = rec.get("metrics") or {}
    risk = result.get("risk_assessment") or {}
    error = result.get("error") or {}
    return neutralise_row([
        result.get("index"), result.get("id"), bool(result.get("success")), rec.get("action"),
        rec.get("urgency"), rec.get("current_capacity"), rec.get("recommended_capacity"),
        rec.get("capacity_change"), rec.get("capacity_change_percent"), metrics.get("max_predicted_load"),
        metrics.get("max_utilization"), risk.get("risk_level"), risk.get("p90_risk_level"),
        risk.get("critical_hours"), result.get("method"), result.get("history_source"),
        error.get("message", "")])


def results_csv(results: Iterable[dict]) -> str:
    """The whole CSV: a header row, then one row per plan result."""
    return "".join(csv_parts([list(results)]))


def csv_parts(pages: Iterable[list[dict]]) -> Iterator[str]:
    """The CSV as text parts: the header row, then the rows of each page of results as that page arrives."""
    yield _rows([CSV_COLUMNS])
    for page in pages:
        if page:
            yield _rows(csv_row(r) for r in page)


def _rows(rows: Iterable[list]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()
