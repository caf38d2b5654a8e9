"""Steps the browser tests share: fill the form, run an action, read a card's number."""
from __future__ import annotations

import re
from pathlib import Path

from tests.live_stack import http

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADVANCED = {"unit_capacity", "unit_cost_per_hour", "lead_time_hours", "min_hold_hours", "quantile"}
# A fixed last observed hour (typed in the display zone, UTC in the `console` fixture), so the page and a
# direct API call make the very same request.
LAST_HOUR = "2024-01-15T10:00"
BUTTONS = {"forecast": "#btn-forecast", "recommend": "#btn-recommend", "analyze": "#btn-analyze"}


def fill(page, **values) -> None:
    """Set inputs by id; opens the advanced section for the fields inside it."""
    if ADVANCED & values.keys() and not page.eval_on_selector("#advanced", "d => d.open"):
        page.click("#advanced summary")
    for name, value in values.items():
        if name == "quantile":
            page.select_option("#quantile", str(value))
        else:
            page.fill(f"#{name}", str(value))


def run(page, action: str, expect: str = "done") -> None:
    """Click an action and wait until the page reports it finished (no sleeps)."""
    page.click(BUTTONS[action])
    page.wait_for_selector(f"#results[data-action={action}][data-status=done], "
                           f"#results[data-action={action}][data-status=error]", timeout=60_000)
    status = page.get_attribute("#results", "data-status")
    assert status == expect, f"{action} ended {status}: {page.inner_text('#form-error')}"


def number(text: str) -> float:
    """"+1,500", "30.5%", "6,500" -> float."""
    match = re.search(r"[-+]?[\d,]*\.?\d+", text.replace("\u2212", "-"))
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def card_value(page, key: str) -> str:
    return page.text_content(f"[data-key={key}]")  # also inside a closed <details>


def card_number(page, key: str) -> float:
    return number(card_value(page, key))


def close_advanced(page) -> None:
    """Close the "Units, cost and timing" section (the page must open it to show an error inside)."""
    page.eval_on_selector("#advanced", "d => { d.open = false; }")


def page_state(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.capplan.state))")


def chart_summary(page) -> dict:
    return page.evaluate("() => window.capplan.charts()")


class ConsolePage:
    """A page with its console errors and failed requests recorded, and a screenshot helper."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = re.sub(r"[^\w.-]+", "_", name).strip("_")
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def screenshot(self, suffix: str = "", full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}{'-' + suffix if suffix else ''}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def api_post(base_url: str, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    """The same request the page makes, straight to the API, for comparing numbers."""
    reply = http("POST", base_url + path, body, headers, timeout=60)
    return reply.status, reply.json()


def api_get(base_url: str, path: str) -> dict:
    return http("GET", base_url + path).json()
