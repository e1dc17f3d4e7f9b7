"""Screenshots of the main pages, for a person to look at the layout (not part of the suite).

Needs a running server with the demo loaded, and the same settings/database in this process's
environment so demo codes can be read::

    export CHAPERONE_VAR_DIR=/tmp/shotsvar DJANGO_SETTINGS_MODULE=chaperone.config.settings.local
    .venv/bin/chaperone migrate --noinput -v 0 && .venv/bin/chaperone demo load --if-missing
    .venv/bin/gunicorn chaperone.config.wsgi:application --bind 127.0.0.1:8765 &
    .venv/bin/python -m tests.browser.screenshots http://127.0.0.1:8765 /tmp/shots
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
PASSWORD = "chaperone-demo-2026"
WIDTHS = {"desktop": 1280, "mobile": 390}


def _code(username: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "django", "demo", "code", username],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    used = ""
    while page.locator("#id_token").count():
        code = _code(username)
        if code == used:  # a code works once: wait for the app's next one
            time.sleep(1)
            continue
        page.locator("#id_token").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        used = code


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        for label, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.screenshot(path=out / f"login-{label}.png", full_page=True)
            page.get_by_role("button", name="Sign in").click()
            page.screenshot(path=out / f"login-error-{label}.png", full_page=True)
            _sign_in(page, base, "trustadmin")
            page.goto(f"{base}/")
            page.screenshot(path=out / f"dashboard-{label}.png", full_page=True)
            page.goto(f"{base}/people/pupils/")
            page.screenshot(path=out / f"pupils-{label}.png", full_page=False)
            page.locator("#pupil-results tbody a").first.click()
            page.screenshot(path=out / f"pupil-{label}.png", full_page=True)
            page.goto(f"{base}/people/import/")
            page.screenshot(path=out / f"import-{label}.png", full_page=True)
            context.close()
        browser.close()
    print("\n".join(sorted(str(f) for f in out.glob("*.png"))))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/shots"))
