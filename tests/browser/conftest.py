"""Browser tests: Playwright (sync API) driving Debian's Chromium against ``live_server``.

One browser per test session, a fresh context (cookies, storage) per test. Every page is
watched for Content Security Policy violations and uncaught script errors; either fails the
test that caused it. A missing Chromium is a failure, not a skip: ``make test`` installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# alongside one unless told it is safe (it is: the loop only talks to the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long a step may wait for the page (ms). Local pages answer in well under a second.
STEP_TIMEOUT_MS = 10_000
# Assertions wait as long as steps do: a busy machine (parallel suites) can be slow to answer.
expect.set_options(timeout=STEP_TIMEOUT_MS)


def _require_chromium() -> None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM} (not found or not executable). "
            "Install it with `make test-system-deps` (apt package `chromium`); "
            "do not run `playwright install`.",
            pytrace=False,
        )


#: The one Chromium of this process. Other test packages import these fixtures, which gives
#: pytest a second session-scoped ``browser``; a second ``sync_playwright()`` in the same thread
#: would fail, so whichever starts first owns the browser and the other borrows it.
_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        _SHARED["browser"] = chromium
        try:
            yield chromium
        finally:
            _SHARED.clear()
            chromium.close()


@dataclass
class PageProblems:
    """What the browser complained about while a test ran."""

    csp: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Browser, live_server: object, transactional_db: None) -> Iterator[Page]:
    """A fresh browser tab pointed at the live server; fails the test on CSP violations."""
    context = browser.new_context(base_url=str(live_server), locale="en-GB")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    tab = context.new_page()
    problems = PageProblems()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.csp.append(f"{tab.url}: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.script_errors.append(f"{tab.url}: {error}"))
    try:
        yield tab
    finally:
        context.close()
    assert problems.csp == [], "Content Security Policy violations:\n" + "\n".join(problems.csp)
    assert problems.script_errors == [], "Script errors:\n" + "\n".join(problems.script_errors)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this marker; declare it too so `-p no:xdist` runs stay strict-clean.
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")
