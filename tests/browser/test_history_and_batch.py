"""Uploaded histories and batch CSVs through the console, checked against the API's own answers."""
from __future__ import annotations

import csv
import io
import math
import random
from datetime import datetime, timedelta

import pytest

from tests.browser.console_steps import (api_get, api_post, card_number, card_value, chart_summary, fill, number,
                                         page_state, run)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RISK_ORDER = ["error", "low", "medium", "high", "critical"]


LAST_OBSERVED = datetime(2024, 1, 15, 10)


def history_csv(hours: int, load_at, missing: tuple[int, ...] = ()) -> str:
    """`timestamp,load` rows ending at LAST_OBSERVED; `load_at(t, k)` gives hour k's load; `missing` are gaps."""
    rows = ["timestamp,load"]
    for k in range(hours):
        if k not in missing:
            t = LAST_OBSERVED - timedelta(hours=hours - 1 - k)
            rows.append(f"{t:%Y-%m-%dT%H:%M:%S},{load_at(t, k):.1f}")
    return "\n".join(rows) + "\n"


def growing_daily_cycle(t: datetime, k: int) -> float:
    return 3000 + 1500 * math.sin(2 * math.pi * (t.hour - 9) / 24) + 4 * k


def test_uploaded_history_changes_the_forecast(console, console_url):
    page = console.page
    text = history_csv(21 * 24, growing_daily_cycle, missing=(100, 101, 300))
    page.set_input_files("#history-file", files=[{"name": "history.csv", "mimeType": "text/csv",
                                                  "buffer": text.encode()}])
    page.wait_for_function("() => document.querySelector('#history-status').textContent.includes('rows read')")
    assert page.is_disabled("#current_load"), "the history's last value is the current load"
    fill(page, hours_ahead=48)
    run(page, "forecast")
    sent = page_state(page)["request"]
    assert len(sent["history"]) == 21 * 24 - 3 and "current_load" not in sent
    status, api = api_post(console_url, "/api/forecast", sent)
    assert status == 200 and api["history_source"] == "provided"
    assert card_value(page, "history_source").startswith(f"your history: {api['history_hours']:,} hours")
    assert card_number(page, "history_hours") == api["history_hours"]
    assert card_number(page, "gaps_filled") == api["gaps_filled"] == 3
    status_text = page.inner_text("#history-status")
    assert f"API used {api['history_hours']:,} hours" in status_text and "3 gaps filled" in status_text

    last = sent["history"][-1]
    _, synthetic = api_post(console_url, "/api/forecast", {"hours_ahead": 48, "current_load": last["load"],
                                                        "timestamp": last["timestamp"]})
    assert synthetic["history_source"] == "synthetic"
    shown = page_state(page)["response"]["forecast"]
    assert [p["predicted_load"] for p in shown] == [p["predicted_load"] for p in api["forecast"]]
    assert [p["predicted_load"] for p in shown] != [p["predicted_load"] for p in synthetic["forecast"]]
    labels = [d["label"] for d in chart_summary(page)["chart-forecast"]["datasets"]]
    assert "History" in labels
    console.screenshot()
    assert console.errors == []


def plans_csv(n: int = 40) -> str:
    rows = ["id,hours_ahead,current_capacity,current_load,scaling_threshold,unit_capacity,unit_cost_per_hour"]
    for i in range(n):
        load = 500 + 97 * i
        capacity = [load * 1.1, load * 2, load * 6][i % 3]
        rows.append(f"svc-{i:02d},48,{capacity:.0f},{load},0.8,{max(capacity / 10, 1):.0f},0.5")
    rows.append("broken,48,-10,100,0.8,,")
    return "\n".join(rows) + "\n"


def column(page, key: str) -> list[str]:
    return page.locator(f"#batch-table tbody td[data-col={key}]").all_inner_texts()


def test_batch_csv_gives_a_sortable_table_and_a_download(console, console_url):
    page = console.page
    page.set_input_files("#batch-file", files=[{"name": "plans.csv", "mimeType": "text/csv",
                                                "buffer": plans_csv().encode()}])
    page.wait_for_function("() => document.querySelector('#batch-status').textContent.includes('41 plans')")
    page.click("#btn-batch")
    page.wait_for_selector("#results[data-action=batch][data-status=done]", timeout=60_000)
    job_id = page_state(page)["batch"]["jobId"]
    assert page.locator("#batch-table tbody tr").count() == 41

    risks = [RISK_ORDER.index(r.lower()) for r in column(page, "risk")]
    assert risks == sorted(risks, reverse=True), "sorted by risk, highest first"
    assert risks[-1] == 0, "the plan the API refused is shown, last, as an error"
    error_text = page.locator("#batch-table tbody tr", has_text="broken").inner_text()
    assert "current_capacity" in error_text

    page.click("button[data-sort=saving]")
    savings = [number(s) for s in column(page, "saving") if s != "–"]
    assert len(savings) == 40 and savings == sorted(savings, reverse=True)
    page.click("button[data-sort=saving]")
    savings = [number(s) for s in column(page, "saving") if s != "–"]
    assert savings == sorted(savings)
    assert page.get_attribute("th:has(button[data-sort=saving])", "aria-sort") == "ascending"

    results = api_get(console_url, f"/api/jobs/{job_id}/results?offset=0&limit=100")["results"]
    by_id = {r["id"]: r for r in results}
    first_row = page.locator("#batch-table tbody tr").first
    plan_id = first_row.locator("th").inner_text()
    rec = by_id[plan_id]["recommendations"]
    assert number(first_row.locator("td[data-col=recommended]").inner_text()) == pytest.approx(
        rec["recommended_capacity"], abs=0.5)
    assert number(card_value(page, "plans")) == 41

    with page.expect_download() as download:
        page.click("#batch-download")
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 41
    console.screenshot()
    assert console.errors == []


def test_parsers_read_what_people_paste(console):
    """The page's own readers: plain numbers, CSV with a header, bad tokens, plan CSV with a history cell."""
    out = console.page.evaluate("""async () => {
        const h = await import('/dashboard/static/js/history.js');
        const b = await import('/dashboard/static/js/batch.js');
        return {
          plain: h.parseHistory('1000, 1100\\n1200 1300'),
          csv: h.parseHistory('time,requests\\n2024-01-01 00:00:00,5\\n2024-01-01T01:00:00,6'),
          bad: h.parseHistory('1000\\nabc'),
          empty: h.parseHistory('  \\n'),
          plans: b.parsePlansCsv('id,current_capacity,history\\na,100,"1 2 3"\\n,200,'),
        };
    }""")
    assert out["plain"]["history"] == [1000, 1100, 1200, 1300]
    assert out["csv"]["history"] == [{"timestamp": "2024-01-01T00:00:00", "load": 5},
                                     {"timestamp": "2024-01-01T01:00:00", "load": 6}]
    assert "line 2" in out["bad"]["error"] and out["empty"] is None
    assert out["plans"]["plans"] == [{"id": "a", "current_capacity": 100, "history": [1, 2, 3]},
                                     {"id": "plan-2", "current_capacity": 200}]


def business_hours(seed: int = 7):
    """A service busy on weekday working hours, quiet at weekends, with noise and a slow growth."""
    rng = random.Random(seed)

    def load_at(t: datetime, k: int) -> float:
        daily = max(0.0, math.sin(math.pi * (t.hour - 6) / 14)) if 6 <= t.hour <= 20 else 0.0
        scale = 0.45 if t.weekday() >= 5 else 1.0
        return round((900 + 2600 * daily * scale) * (1 + 0.0004 * k) * rng.uniform(0.94, 1.06))
    return load_at


def test_week_analysis_of_an_uploaded_history_with_costs(console, console_url):
    """The README's screenshot: a 168-hour analysis of a real-looking history, priced per instance."""
    page = console.page
    text = history_csv(4 * 168, business_hours())
    page.set_input_files("#history-file", files=[{"name": "checkout-api.csv", "mimeType": "text/csv",
                                                  "buffer": text.encode()}])
    page.wait_for_function("() => document.querySelector('#history-status').textContent.includes('672 rows')")
    fill(page, hours_ahead=168, current_capacity=4500, scaling_threshold=80, unit_capacity=250,
         unit_cost_per_hour=0.12)
    page.click("#advanced summary")  # close it again: the screenshot shows the main inputs
    run(page, "analyze")
    job = api_get(console_url, f"/api/jobs/{page_state(page)['jobId']}")
    scenarios = job["result"]["analysis"]["scaling_scenarios"]
    for name, scenario in scenarios.items():
        cells = page.locator("#scenarios-table tbody tr", has_text=name.replace("_", " ")).inner_text().split("\t")
        assert number(cells[3]) == pytest.approx(scenario["cost"], abs=0.01)
        assert number(cells[4]) == pytest.approx(scenario["saving_vs_static_peak"], abs=0.01)
    assert card_value(page, "history_source").startswith("your history")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.mouse.move(0, 0)  # no hover highlight in the picture
    console.screenshot("readme", full_page=False)
    console.screenshot()
    assert console.errors == []
