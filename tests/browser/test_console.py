"""The console in headless Chromium against the real stack: each action's charts and cards hold the API's numbers."""
from __future__ import annotations

import json

import pytest

from tests.browser.console_steps import (LAST_HOUR, ConsolePage, api_get, api_post, card_number, card_value,
                                         chart_summary, close_advanced, fill, number, page_state, run)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_page_loads_offline_without_console_errors(console, console_url):
    outside = []
    console.page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(console_url)
                    and not r.url.startswith(("data:", "blob:")) else None)
    console.page.reload()
    console.page.wait_for_selector("body[data-ready=true]")
    console.page.wait_for_function(
        "() => !document.querySelector('#service-status .service-text').textContent.startsWith('Checking')")
    assert console.page.evaluate("() => typeof window.Chart") == "function"
    for control in console.page.query_selector_all("input:not([type=file]), select, textarea"):
        control_id = control.get_attribute("id")
        assert console.page.query_selector(f"label[for={control_id}]"), f"#{control_id} has no label"
    console.screenshot()
    assert outside == [], f"the page reached outside the service: {outside}"
    assert console.errors == []


def test_forecast_draws_band_and_shows_the_api_numbers(console, console_url):
    page = console.page
    fill(page, hours_ahead=24, current_load=1200, timestamp=LAST_HOUR)
    run(page, "forecast")
    sent = page_state(page)["request"]
    status, api = api_post(console_url, "/api/forecast", sent)
    assert status == 200
    loads = [p["predicted_load"] for p in api["forecast"]]
    assert card_number(page, "max_predicted_load") == pytest.approx(max(loads), abs=0.5)
    assert card_number(page, "min_predicted_load") == pytest.approx(min(loads), abs=0.5)
    assert card_number(page, "hours") == 24
    assert card_value(page, "history_source").startswith(
        "your history" if api["history_source"] == "provided" else "no history")
    datasets = {d["label"]: d["points"] for d in chart_summary(page)["chart-forecast"]["datasets"]}
    assert datasets["Forecast (median)"] == 24 and datasets["10–90% band"] == 24
    assert page.is_hidden("#card-action"), "a bare forecast has no recommendation"
    console.screenshot()
    assert console.errors == []


def test_recommendations_from_the_keyboard_match_the_api(console, console_url):
    page = console.page
    fill(page, hours_ahead=24, current_load=1000, scaling_threshold=80, timestamp=LAST_HOUR)
    page.fill("#current_capacity", "")
    page.focus("#current_capacity")
    page.keyboard.type("1500")
    order = []
    for _ in range(24):  # Tab walks the inputs in reading order, each with a visible focus ring
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => [document.activeElement.id,"
                                   " getComputedStyle(document.activeElement).outlineStyle]"))
    ids = [i for i, _ in order]
    assert ids[:5] == ["current_load", "history", "history-file", "history-clear", "timestamp"]
    assert ids.index("btn-recommend") < ids.index("btn-forecast") < ids.index("btn-analyze")
    rings = {i: style for i, style in order if i in {"history", "history-clear", "timestamp", "btn-recommend",
                                                      "btn-forecast", "btn-analyze", "batch-file"}}
    assert len(rings) == 7 and "none" not in rings.values(), rings
    page.focus("#current_capacity")
    page.keyboard.press("Enter")  # the form's default action is Get Recommendations
    page.wait_for_selector("#results[data-action=recommend][data-status=done]")
    sent = page_state(page)["request"]
    assert sent["current_capacity"] == 1500 and sent["scaling_threshold"] == pytest.approx(0.8)
    status, api = api_post(console_url, "/api/capacity/recommendations", sent)
    assert status == 200
    rec = api["recommendations"]
    assert page.inner_text("#rec-action").lower().replace(" ", "_") == rec["action"]
    assert rec["urgency"] in page.inner_text("#rec-urgency").lower()
    message = page.inner_text("#rec-message")  # the console's own sentence, rounded as the cards are
    assert f"({card_value(page, 'capacity_change_percent').lstrip('+-')})" in message
    assert card_value(page, "recommended_capacity") in message
    assert card_number(page, "recommended_capacity") == pytest.approx(rec["recommended_capacity"], abs=0.5)
    assert card_number(page, "capacity_change") == pytest.approx(rec["capacity_change"], abs=0.5)
    assert card_number(page, "max_utilization") == pytest.approx(rec["metrics"]["max_utilization"] * 100, abs=0.06)
    assert page.locator("#peaks-table tbody tr").count() == len(rec["peak_hours"])
    charts = chart_summary(page)
    labels = [d["label"] for d in charts["chart-forecast"]["datasets"]]
    assert "Current capacity" in labels and any(label.startswith("Threshold") for label in labels)
    assert "chart-utilisation" in charts
    # 24 hours from 11:00 hold no whole day: no hour-of-day or day-of-week averages, a note instead.
    assert "chart-hourly" not in charts and "chart-weekly" not in charts
    assert page.is_visible("#hourly-note") and page.is_visible("#weekly-note")
    console.screenshot()
    assert console.errors == []


def test_full_analysis_shows_job_progress_then_the_result(console, console_url):
    page = console.page
    submissions = []
    page.on("response", lambda r: submissions.append((r.status, r.request.headers.get("prefer")))
            if r.url.endswith("/api/capacity/analyze") else None)

    held = []  # the first status polls wait here, so the job is seen in flight however fast it runs
    page.route("**/api/jobs/*", lambda route: held.append(route))
    fill(page, current_capacity=5000, current_load=1000, timestamp=LAST_HOUR)
    page.click("#btn-analyze")
    page.wait_for_selector("#job-progress:not([hidden])")
    page.wait_for_function("() => document.querySelector('#job-status').textContent.startsWith('Job')")
    assert page.is_disabled("#btn-forecast") and page.is_disabled("#btn-recommend") and page.is_disabled("#btn-analyze")
    assert page.get_attribute("#results", "aria-busy") == "true"
    console.screenshot("progress", full_page=False)
    page.unroute("**/api/jobs/*")  # lets the held polls go on (Playwright continues pending routes)
    assert held, "the page polled the job"
    page.wait_for_selector("#results[data-action=analyze][data-status=done]", timeout=60_000)
    assert submissions == [(202, "respond-async")]
    assert page.is_hidden("#job-progress") and page.is_enabled("#btn-analyze")

    job = api_get(console_url, f"/api/jobs/{page_state(page)['jobId']}")
    assert job["status"] == "succeeded"
    analysis = job["result"]["analysis"]
    risk = analysis["risk_assessment"]
    levels = ["low", "medium", "high", "critical"]
    shown = page.inner_text("#risk-level").lower().split()[0]
    assert shown == max(risk["p90_risk_level"], analysis["recommendations"]["urgency"], key=levels.index)
    for key in ("critical_hours", "over_capacity_hours", "under_utilized_hours"):
        assert card_number(page, key) == risk[key]
    rec = analysis["recommendations"]
    assert card_number(page, "recommended_capacity") == pytest.approx(rec["recommended_capacity"], abs=0.5)
    assert card_number(page, "scaling_actions") == analysis["scaling_schedule"]["scaling_actions"]
    rows = page.locator("#scenarios-table tbody tr")
    assert rows.count() == 4
    balanced = rows.filter(has_text="balanced").inner_text().split("\t")
    assert number(balanced[1]) == pytest.approx(analysis["scaling_scenarios"]["balanced"]["capacity"], abs=0.5)
    datasets = {d["label"]: d["points"] for d in chart_summary(page)["chart-forecast"]["datasets"]}
    assert datasets["Forecast (median)"] == 168 and datasets["Hour-by-hour schedule"] == 168
    console.screenshot()
    assert console.errors == []


def test_cancel_stops_the_analysis_job(console, console_url):
    page = console.page
    page.route("**/api/jobs/*", lambda route: None if route.request.method == "GET" else route.continue_())
    page.click("#btn-analyze")
    page.wait_for_selector("#job-progress:not([hidden])")
    page.click("#job-cancel")
    page.wait_for_selector("#results[data-action=analyze][data-status=cancelled]")
    page.unroute("**/api/jobs/*")
    job = api_get(console_url, f"/api/jobs/{page_state(page)['jobId']}")
    message = page.inner_text("#form-error")
    # The job may finish before the DELETE arrives; the page must say which happened.
    assert message == "Analysis cancelled." if job["status"] == "cancelled" else message.startswith("Not cancelled")
    assert page.is_hidden("#job-progress") and page.is_enabled("#btn-analyze")


HUGE_HISTORY = "\n".join(str(1000 + i % 24) for i in range(9000))  # over the API's 8,760 hours


@pytest.mark.parametrize("action, inputs", [
    ("forecast", {"hours_ahead": 0}),
    ("recommend", {"current_capacity": -5}),
    ("recommend", {"current_capacity": "", "current_load": ""}),
    ("recommend", {"scaling_threshold": 150}),
    ("recommend", {"lead_time_hours": -1}),
    ("forecast", {"history": HUGE_HISTORY}),
], ids=["hours_ahead_0", "negative_capacity", "empty_form", "threshold_150", "negative_lead_time", "huge_history"])
def test_bad_inputs_show_the_api_message_by_their_field(console, console_url, action, inputs):
    page = console.page
    history = inputs.pop("history", None)
    if history:
        page.set_input_files("#history-file", files=[{"name": "huge.txt", "mimeType": "text/plain",
                                                      "buffer": history.encode()}])
        page.wait_for_function("() => document.querySelector('#history-status').textContent.includes('9,000')")
    fill(page, timestamp=LAST_HOUR, **inputs)
    close_advanced(page)
    run(page, action, expect="error")
    path = {"forecast": "/api/forecast", "recommend": "/api/capacity/recommendations"}[action]
    status, api = api_post(console_url, path, page_state(page)["request"])
    assert status == 400 and api["error"]["fields"]
    for name, reason in api["error"]["fields"].items():
        field = name.split("[")[0]
        assert reason in page.inner_text(f"#{field}-error"), name
        assert page.is_visible(f"#{field}-error")
        assert page.get_attribute(f"[data-field={field}] :is(input, textarea)", "aria-invalid") == "true"
    assert page.is_enabled("#btn-forecast") and page.is_enabled("#btn-recommend")
    console.screenshot()


@pytest.mark.parametrize("health, shown", [
    ({"redis": {"reachable": False}, "workers": {"live": 0}, "model_loaded": False}, "Redis is down"),
    ({"redis": {"reachable": True}, "workers": {"live": 0}, "model_loaded": False}, "No worker is alive"),
    ({"redis": {"reachable": True}, "workers": {"live": 1}, "model_loaded": False,
      "model": {"error": "MANIFEST.sha256 is missing"}}, "The model is not loaded (MANIFEST.sha256 is missing)"),
])
def test_health_banner_names_what_is_down(console, health, shown):
    page = console.page
    body = json.dumps({"status": "degraded", "timestamp": "2024-01-15T10:00:00", **health})
    page.route("**/api/health", lambda route: route.fulfill(status=503, content_type="application/json", body=body))
    page.reload()
    page.wait_for_selector("#health-banner:not([hidden])")
    assert shown in page.inner_text("#health-banner")
    assert "Degraded" in page.inner_text("#service-status")
    console.screenshot(full_page=False)


def test_phone_width_is_one_readable_column(browser, console_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=console_url, is_mobile=True)
    page = context.new_page()
    phone = ConsolePage(page, "test_phone_width")
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    fill(page, current_capacity=5000, current_load=1000, timestamp=LAST_HOUR)
    run(page, "recommend")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    inputs = page.locator(".inputs").bounding_box()
    results = page.locator("#results").bounding_box()
    assert results["y"] >= inputs["y"] + inputs["height"] - 1, "inputs and results are stacked"
    phone.screenshot()
    context.close()
    assert phone.errors == []
