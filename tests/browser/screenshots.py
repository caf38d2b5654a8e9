"""The console's pictures for docs/screenshots: a full analysis and a failed request, at 1920 and 360 px wide.

    python -m tests.browser.screenshots --base-url http://127.0.0.1:5000 [--out docs/screenshots]

Runs against a service that is up (`make run`), in headless Chromium, with the display zone Europe/Paris.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.console_steps import close_advanced, fill, run
from tests.browser.test_history_and_batch import business_hours, history_csv

WIDTHS = {"desktop": 1920, "phone": 360}


def shoot(browser, base_url: str, out: Path, name: str, width: int) -> list[Path]:
    context = browser.new_context(viewport={"width": width, "height": 1000}, base_url=base_url,
                                  timezone_id="Europe/Paris", is_mobile=width < 600)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#history-file", files=[{"name": "checkout-api.csv", "mimeType": "text/csv",
                                                  "buffer": history_csv(4 * 168, business_hours()).encode()}])
    page.wait_for_function("() => document.querySelector('#history-status').textContent.includes('672 rows')")
    fill(page, current_capacity=4500, scaling_threshold=80, unit_capacity=250, unit_cost_per_hour=0.12)
    close_advanced(page)
    run(page, "analyze")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    shots = [out / f"console-{name}-{width}-analysis.png"]
    page.screenshot(path=str(shots[-1]), full_page=True)
    fill(page, current_capacity=-5)
    run(page, "analyze", expect="error")
    page.evaluate("() => window.scrollTo(0, 0)")
    shots.append(out / f"console-{name}-{width}-error.png")
    page.screenshot(path=str(shots[-1]), full_page=True)
    context.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        for name, width in WIDTHS.items():
            for path in shoot(browser, args.base_url.rstrip("/"), args.out, name, width):
                print(path)
        browser.close()


if __name__ == "__main__":
    main()
