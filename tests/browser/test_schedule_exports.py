"""The console's KEDA buttons: the analysis' schedule card and each batch plan download the API's ScaledObject."""
from __future__ import annotations

import pytest
import yaml

from exports.model import safe_label
from tests.browser.console_steps import LAST_HOUR, api_get, fill, page_state, run

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def downloaded(page, selector: str) -> tuple[str, str]:
    with page.expect_download() as download:
        page.click(selector)
    return download.value.suggested_filename, open(download.value.path(), encoding="utf-8").read()


def test_the_schedule_card_downloads_a_keda_scaled_object(console, console_url):
    page = console.page
    fill(page, current_capacity=5000, current_load=1000, timestamp=LAST_HOUR, unit_capacity=500)
    run(page, "analyze")
    job_id = page_state(page)["jobId"]
    schedule = api_get(console_url, f"/api/jobs/{job_id}")["result"]["analysis"]["scaling_schedule"]
    assert page.is_visible("#schedule-keda") and not page.is_visible("#schedule-keda-hint")
    name, text = downloaded(page, "#schedule-keda")
    assert name == f"schedule-{safe_label(job_id)}-keda.yaml"    # a leading "-" of the id goes
    doc = yaml.safe_load(text)
    assert (doc["apiVersion"], doc["kind"]) == ("keda.sh/v1alpha1", "ScaledObject")
    triggers = doc["spec"]["triggers"]
    assert len(triggers) == schedule["scaling_actions"] > 0
    assert [int(t["metadata"]["desiredReplicas"]) for t in triggers] == [
        schedule["instances"][k] for k in schedule["change_hours"]]
    assert {t["metadata"]["timezone"] for t in triggers} == {page.inner_text("#footer-zone")}
    assert console.errors == []


def test_without_unit_capacity_the_card_says_what_keda_needs(console):
    page = console.page
    fill(page, current_capacity=5000, current_load=1000, timestamp=LAST_HOUR)
    run(page, "analyze")
    assert not page.is_visible("#schedule-keda") and page.is_visible("#schedule-keda-hint")
    assert "unit_capacity" in page.inner_text("#schedule-keda-hint")
    run(page, "recommend")                        # no job, no schedule: nothing stays from the analysis
    assert not page.is_visible("#schedule-keda")


def test_each_batch_plan_with_units_downloads_its_own(console, console_url):
    page = console.page
    plans = ("id,hours_ahead,current_capacity,current_load,unit_capacity\n"
             "checkout-api,168,5000,1000,500\nreports,168,800,150,\n")
    page.set_input_files("#batch-file", files=[{"name": "plans.csv", "mimeType": "text/csv",
                                                "buffer": plans.encode()}])
    page.wait_for_function("() => document.querySelector('#batch-status').textContent.includes('2 plans')")
    page.click("#btn-batch")
    page.wait_for_selector("#results[data-action=batch][data-status=done]", timeout=60_000)
    links = page.locator("#batch-table a[data-export=keda]")
    assert links.count() == 1                     # reports gave no unit_capacity
    name, text = downloaded(page, "#batch-table a[data-export=keda]")
    assert name == "schedule-checkout-api-keda.yaml"            # as the API names it
    doc = yaml.safe_load(text)
    assert doc["spec"]["scaleTargetRef"]["name"] == "checkout-api" and doc["spec"]["triggers"]
    assert console.errors == []
