"""The console on a service that asks for API keys: it asks for one on a 401, keeps it in the tab, and works with it."""
from __future__ import annotations

import csv
import io

import pytest

from tests.browser.console_steps import LAST_HOUR, ConsolePage, fill, page_state, run

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PLANS = "id,current_capacity,current_load,hours_ahead\nweb,5000,1000,24\ndb,800,600,24\n"


@pytest.fixture
def keyed_console(browser, keyed_api, request):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True,
                                  base_url=keyed_api.base_url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = ConsolePage(page, request.node.name)
    sent = []
    page.on("request", lambda r: sent.append((r.url, r.headers)) if "/api/" in r.url else None)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    yield console, context, sent
    if getattr(request.node, "call_failed", False):
        console.screenshot("failed")
    context.close()


def test_the_console_asks_for_a_key_on_401_then_works_with_it(keyed_console, keyed_api):
    console, context, sent = keyed_console
    page = console.page
    fill(page, hours_ahead=24, current_load=1200, timestamp=LAST_HOUR)
    run(page, "forecast", expect="error")                      # the API answered 401
    assert page.is_visible("#key-form") and page.is_visible("#api-key")
    assert "key" in page.inner_text("#results").lower()
    page.fill("#api-key", "capplan_not-a-key")
    page.click("#key-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#key-error').textContent.includes('refused')")
    assert page.is_visible("#key-form")
    console.screenshot("refused")

    page.fill("#api-key", keyed_api.keys["alpha"])
    page.press("#api-key", "Enter")
    page.wait_for_selector("#key-form", state="hidden")
    page.wait_for_function("() => document.querySelector('#service-status').textContent.includes('worker')")
    run(page, "forecast")
    assert len(page_state(page)["response"]["forecast"]) == 24
    stored = page.evaluate("() => sessionStorage.getItem('capplan.apiKey')")
    assert stored == keyed_api.keys["alpha"]
    assert context.cookies() == [] and page.evaluate("() => document.cookie") == ""
    last_forecast = [h for url, h in sent if url.endswith("/api/forecast")][-1]
    assert last_forecast["authorization"] == f"Bearer {keyed_api.keys['alpha']}"
    console.screenshot()


def test_a_batch_downloads_its_csv_with_the_key(keyed_console, keyed_api):
    console, _context, _sent = keyed_console
    page = console.page
    page.evaluate("key => sessionStorage.setItem('capplan.apiKey', key)", keyed_api.keys["beta"])
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function("() => document.querySelector('#service-status').textContent.includes('worker')")
    assert page.is_hidden("#key-form")
    page.set_input_files("#batch-file", files=[{"name": "plans.csv", "mimeType": "text/csv",
                                                "buffer": PLANS.encode()}])
    page.wait_for_function("() => document.querySelector('#batch-status').textContent.includes('2 plans')")
    page.click("#btn-batch")
    page.wait_for_selector("#results[data-action=batch][data-status=done]", timeout=60_000)
    with page.expect_download() as download:
        page.click("#batch-download")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [r["id"] for r in rows] == ["web", "db"]
    assert download.value.suggested_filename.startswith("capplan-batch-")
    assert console.errors == []


def test_the_keda_buttons_download_with_the_key(keyed_console, keyed_api):
    """A link cannot send the key: the schedule card's and a batch plan's KEDA exports are fetched with it."""
    console, _context, sent = keyed_console
    page = console.page
    page.evaluate("key => sessionStorage.setItem('capplan.apiKey', key)", keyed_api.keys["alpha"])
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    fill(page, current_capacity=5000, current_load=1000, timestamp=LAST_HOUR, unit_capacity=500)
    run(page, "analyze")
    with page.expect_download() as download:
        page.click("#schedule-keda")
    assert "kind: ScaledObject" in open(download.value.path(), encoding="utf-8").read()
    asked = [h for url, h in sent if "/schedule?format=keda" in url]
    assert asked and asked[-1]["authorization"] == f"Bearer {keyed_api.keys['alpha']}"
    page.set_input_files("#batch-file", files=[{"name": "plans.csv", "mimeType": "text/csv", "buffer": (
        "id,current_capacity,current_load,hours_ahead,unit_capacity\nweb,5000,1000,48,500\n").encode()}])
    page.wait_for_function("() => document.querySelector('#batch-status').textContent.includes('1 plans')")
    page.click("#btn-batch")
    page.wait_for_selector("#results[data-action=batch][data-status=done]", timeout=60_000)
    with page.expect_download() as download:
        page.click("#batch-table a[data-export=keda]")
    assert "kind: ScaledObject" in open(download.value.path(), encoding="utf-8").read()
    assert console.errors == []
