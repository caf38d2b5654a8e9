"""Headless Chromium (Debian's package, driven by Playwright) against the real running stack.

Without Chromium the browser tests are skipped and the run ends with a warning that says so.
CAPPLAN_BROWSER_BASE_URL=http://host:port runs them against a service that is already up
(`make run`) instead of the `live_stack` fixture; CAPPLAN_CHROMIUM=/path/to/chromium picks the browser.
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.console_steps import ConsolePage

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """CAPPLAN_CHROMIUM if set (a path), else Debian's chromium on PATH or in /usr/bin."""
    chosen = os.environ.get("CAPPLAN_CHROMIUM")
    if chosen:
        return chosen if os.path.exists(chosen) else None
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def _playwright_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    return None


SKIP_REASON = None
if chromium_path() is None:
    SKIP_REASON = ("BROWSER TESTS SKIPPED: no Chromium found (install Debian's `chromium` package: "
                   "apt-get install chromium); the dashboard was NOT tested in a browser")
elif _playwright_missing():
    SKIP_REASON = f"BROWSER TESTS SKIPPED: {_playwright_missing()}"


def pytest_collection_modifyitems(config, items):
    if SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if SKIP_REASON is not None:
        terminalreporter.section("browser tests", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"WARNING: {SKIP_REASON}", red=True, bold=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        item.call_failed = report.failed


@pytest.fixture(scope="session")
def console_url(request) -> str:
    """The running service: CAPPLAN_BROWSER_BASE_URL, else the suite's live stack."""
    url = os.environ.get("CAPPLAN_BROWSER_BASE_URL")
    if url:
        return url.rstrip("/")
    return request.getfixturevalue("live_stack").base_url.rstrip("/")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def console(browser, console_url, request):
    """A fresh 1366x768 page on the dashboard in a UTC browser, ready (its scripts have run)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True,
                                  base_url=console_url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(30_000)
    cp = ConsolePage(page, request.node.name)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    yield cp
    if getattr(request.node, "call_failed", False):
        cp.screenshot("failed")
    context.close()
