"""In a real browser: the try-it answer updates live through htmx, and protocol pages load
without Content Security Policy violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chaperone.people.models import Role
from tests.browser.conftest import browser, page  # noqa: F401  (Playwright fixtures)
from tests.browser.helpers import sign_in
from tests.factories import make_staff
from tests.protocols.factories import school_overlay_version, trust_version

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def teacher(tenant_a):  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "npat-one-to-one")
    school_overlay_version(tenant_a.school)
    return make_staff(tenant_a.school, Role.TEACHER)


def test_try_it_updates_live(page: Page, teacher) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sign_in(page, teacher.user.username, path="/protocols/try/")
    result = page.locator("#decision")
    expect(result.locator(".app-decision--refused")).to_be_visible()
    expect(result).to_contain_text("CHAPERONE_REQUIRED")
    page.get_by_label("A parent or carer stays in the room throughout").check()
    expect(result.locator(".app-decision--allowed")).to_be_visible()
    page.get_by_label("Platform").select_option("meet")
    expect(result).to_contain_text("PLATFORM_NOT_APPROVED")
    assert page.url.endswith("/protocols/try/")  # no page load: htmx swapped the panel


def test_protocol_pages_load_cleanly(page: Page, teacher) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sign_in(page, teacher.user.username, path="/protocols/")
    expect(page.locator("h1")).to_have_text("Alpha Primary: remote contact with pupils")
    expect(page.get_by_text("Added by the school").first).to_be_visible()
    page.get_by_role("button", name="I have read and understood version 2026.1").click()
    expect(page.get_by_text("You acknowledged this version on")).to_be_visible()
    for path in ("/protocols/parent/", "/protocols/history/", "/protocols/templates/"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
