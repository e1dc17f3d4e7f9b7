"""Accessibility basics of the UI shell, checked in a real browser.

On the sign-in page, dashboard, pupils list and a pupil's page: the skip link comes first and
works, every form control has a label, descriptions point at real elements, ids are unique,
there is one ``h1`` and the language is British English. The keyboard alone can sign in.
"""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import PASSWORD, at, code_for, h1, sign_in
from tests.factories import PupilFactory, SchoolFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def teacher_school():  # type: ignore[no-untyped-def]
    school = SchoolFactory(name="Riverside Primary")
    pupil = PupilFactory(school=school, first_name="Mary", last_name="Seacole", is_vulnerable=True)
    PupilFactory(
        school=school, first_name="Isambard", last_name="Brunel", household=pupil.household
    )
    teacher = make_staff(school, Role.TEACHER)
    return teacher, pupil


def test_sign_in_page_basics(page: Page) -> None:
    page.goto("/accounts/login/")
    check_page_basics(page, "Sign in to Chaperone")
    # Errors keep the same shape: summary links to fields that exist.
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page_basics(page, "Sign in to Chaperone")
    for href in page.locator(".govuk-error-summary a").evaluate_all("els => els.map(a => a.hash)"):
        assert page.locator(href).count() == 1, f"error summary links to missing {href}"


@pytest.mark.parametrize(
    ("where", "title"),
    [("dashboard", "Dashboard"), ("pupils", "Pupils"), ("pupil", "Mary Seacole")],
)
def test_signed_in_page_basics(page: Page, teacher_school, where: str, title: str) -> None:  # type: ignore[no-untyped-def]
    teacher, pupil = teacher_school
    path = {"dashboard": "/", "pupils": "/people/pupils/", "pupil": f"/people/pupils/{pupil.pk}/"}
    sign_in(page, teacher.user.username, path=path[where])
    expect(page).to_have_url(at(path[where]))
    check_page_basics(page, title)
    nav = page.get_by_role("navigation", name="Main")
    current = nav.locator("[aria-current=page]")
    if where == "pupil":
        assert current.count() == 0
    else:
        expect(current).to_have_text({"dashboard": "Dashboard", "pupils": "Pupils"}[where])


def test_keyboard_alone_signs_in_including_the_code(page: Page) -> None:
    school = SchoolFactory()
    dsl = make_staff(school, Role.DSL)
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    page.goto("/accounts/login/")

    def tab_to(selector: str) -> None:
        for _ in range(12):
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#id_username")
    page.keyboard.type(dsl.user.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/two-factor/verify/"))
    assert h1(page) == "Enter the code from your authenticator app"

    tab_to("#id_token")
    page.keyboard.type(code_for(device.bin_key))
    page.keyboard.press("Enter")
    page.wait_for_url(at("/"))
    assert h1(page) == "Dashboard"


def test_the_page_watcher_reports_csp_violations(browser: Browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """The ``page`` fixture's CSP check is only worth something if a violation is seen."""
    context = browser.new_context(base_url=str(live_server))
    try:
        tab = context.new_page()
        seen: list[str] = []
        tab.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
        tab.goto("/accounts/login/")
        tab.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = true'; document.body.append(s); }"
        )
        tab.wait_for_timeout(100)  # let the console message arrive; not a timing assertion
        assert tab.evaluate("window.__ran") is None, "inline script ran despite the policy"
        assert any("Content Security Policy" in text for text in seen), seen
    finally:
        context.close()
