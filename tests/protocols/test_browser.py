"""In a real browser: the try-it answer updates live through htmx, and protocol pages load
without Content Security Policy violations or script errors.

Playwright's sync API allows one running instance per thread, and tests/browser keeps a
session-wide one; so these tests drive their own Chromium from a separate thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from chaperone.tenancy.roles import Role
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT_MS
from tests.browser.helpers import sign_in
from tests.factories import make_staff
from tests.protocols.factories import school_overlay_version, trust_version

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def in_browser(base_url: str, steps: Callable[[Page], None]) -> None:
    """Run ``steps`` in a fresh headless Chromium (own thread); fail on CSP or script errors."""

    def run() -> list[str]:
        problems: list[str] = []
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                context = chromium.new_context(base_url=base_url, locale="en-GB")
                context.set_default_timeout(STEP_TIMEOUT_MS)
                page = context.new_page()
                page.on(
                    "console",
                    lambda m: (
                        problems.append(m.text)
                        if m.type == "error" and "Content Security Policy" in m.text
                        else None
                    ),
                )
                page.on("pageerror", lambda error: problems.append(str(error)))
                steps(page)
            finally:
                chromium.close()
        return problems

    with ThreadPoolExecutor(max_workers=1) as pool:
        problems = pool.submit(run).result()
    assert problems == [], problems


@pytest.fixture
def teacher(tenant_a, transactional_db):  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "npat-one-to-one")
    school_overlay_version(tenant_a.school)
    return make_staff(tenant_a.school, Role.TEACHER)


def test_try_it_updates_live(live_server, teacher) -> None:  # type: ignore[no-untyped-def]
    username = teacher.user.username

    def steps(page: Page) -> None:
        sign_in(page, username, path="/protocols/try/")
        result = page.locator("#decision")
        expect(result.locator(".app-decision--refused")).to_be_visible()
        expect(result).to_contain_text("a parent or carer stays in the same room")
        expect(result).not_to_contain_text("CHAPERONE_REQUIRED")  # no codes before staff
        page.get_by_label("A parent or carer stays in the room throughout").check()
        expect(result.locator(".app-decision--allowed")).to_be_visible()
        page.get_by_label("Platform").select_option("meet")
        expect(result).to_contain_text("Sessions run only on school-approved platforms")
        page.get_by_label("One to one: a video call with one pupil").check()
        expect(page.get_by_label("Number of pupils")).to_have_value("1")  # kept one pupil
        expect(result.locator(".govuk-error-summary")).to_have_count(0)
        assert page.url.endswith("/protocols/try/")  # no page load: htmx swapped the panel

    in_browser(live_server.url, steps)


def test_protocol_pages_load_cleanly(live_server, teacher) -> None:  # type: ignore[no-untyped-def]
    username = teacher.user.username

    def steps(page: Page) -> None:
        sign_in(page, username, path="/protocols/")
        expect(page.locator("h1")).to_have_text("Alpha Primary: remote contact with pupils")
        expect(page.get_by_text("Added by the school").first).to_be_visible()
        page.get_by_role("button", name="I have read and understood version 2026.1").click()
        expect(page.get_by_text("You acknowledged this version on")).to_be_visible()
        for path in ("/protocols/parent/", "/protocols/history/", "/protocols/templates/"):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()

    in_browser(live_server.url, steps)


def test_a_trust_version_that_drops_a_rule_never_switches_a_schools_additions_off(
    live_server, tenant_a, transactional_db
) -> None:  # type: ignore[no-untyped-def]
    """Issue #8's first bar: the trust admin uploads a version dropping a rule the school's
    additions build on; the preview names the school; after saving, the school's contacts are
    still refused where its additions refused them, and its head sees the warning."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.browser.helpers import enter_code
    from tests.protocols.test_inheritance import without_approved_platforms

    trust_version(tenant_a.trust, "npat-one-to-one")
    school_overlay_version(tenant_a.school)
    admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    keys = {
        staff.user.username: TOTPDevice.objects.create(
            user=staff.user, name="phone", confirmed=True
        ).bin_key
        for staff in (admin, head)
    }
    text = without_approved_platforms()

    def sign_in_as(page: Page, username: str, path: str) -> None:
        sign_in(page, username, path=path)
        if username in keys:
            enter_code(page, keys[username])

    def sign_out(page: Page) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").first.click()

    def steps(page: Page) -> None:
        sign_in_as(page, admin.user.username, "/protocols/upload/")
        page.get_by_label("Protocol file (TOML)").fill(text)
        page.get_by_role("button", name="Check").click()
        expect(page.locator("h1")).to_have_text("Check before storing: version 2026.2")
        warning = page.get_by_role("alert")
        expect(warning).to_contain_text("1 school would be out of step: Alpha Primary")
        expect(page.locator("#school-effects")).to_contain_text("Out of step")
        page.get_by_role("button", name="Store version 2026.2").click()
        expect(page.get_by_text("Version 2026.2 is stored and now in force.")).to_be_visible()
        sign_out(page)

        sign_in_as(page, teacher.user.username, "/protocols/try/")
        result = page.locator("#decision")
        # the default example, a group lesson with no parent in the room: the school's rule
        expect(result.locator(".app-decision--refused")).to_be_visible()
        expect(result).to_contain_text("a parent or carer stays in the same room")
        page.get_by_label("Their bedroom", exact=True).check()
        expect(result).to_contain_text("never from a bedroom")
        sign_out(page)

        sign_in_as(page, head.user.username, "/")
        card = page.locator("#protocol-out-of-step")
        expect(card).to_contain_text("Alpha Primary's protocol additions are out of step")
        card.get_by_role("link").click()
        expect(page.locator("#out-of-step")).to_contain_text("No longer fit")

    in_browser(live_server.url, steps)
