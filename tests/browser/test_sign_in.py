"""Signing in with a second step (TOTP), as a designated safeguarding lead does it."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.tenancy.roles import Role
from tests.browser.helpers import at, code_for, enter_code, h1, key_from_secret, sign_in
from tests.factories import PupilFactory, SchoolFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_dsl_enrols_an_authenticator_then_signs_in_with_a_code(page: Page) -> None:
    school = SchoolFactory(name="Oakfield Primary")
    PupilFactory(school=school, first_name="Ada", last_name="Lovelace")
    dsl = make_staff(school, Role.DSL)

    # They wanted the pupils page; signing in sends them to set up the second step first.
    sign_in(page, dsl.user.username, path="/people/pupils/")
    assert h1(page) == "Set up a second sign-in step"
    assert page.locator("nav.app-nav, .app-header__school").count() == 0
    assert page.locator(".app-qr svg").count() == 1
    key = key_from_secret(page.get_by_test_id("totp-secret").inner_text())
    assert key == TOTPDevice.objects.get(user=dsl.user).bin_key

    enter_code(page, key)
    expect(page).to_have_url(at("/people/pupils/"))
    assert h1(page) == "Pupils"
    expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert h1(page) == "Sign in to Chaperone"

    # Next time there is no set-up: just a code. The code just used is spent, so they type
    # the one the app shows next (within the device's one-step tolerance).
    sign_in(page, dsl.user.username)
    assert h1(page) == "Enter the code from your authenticator app"
    enter_code(page, key, drift=1)
    expect(page).to_have_url(at("/"))
    assert h1(page) == "Dashboard"
    expect(page.locator(".govuk-caption-l")).to_have_text("Oakfield Primary")


def test_wrong_code_shows_the_error_summary_linked_to_the_field(page: Page) -> None:
    school = SchoolFactory()
    dsl = make_staff(school, Role.DSL)
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    near = {code_for(device.bin_key, drift=d) for d in (-1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in near)

    sign_in(page, dsl.user.username)
    assert h1(page) == "Enter the code from your authenticator app"
    page.get_by_label("Six-digit code").fill(wrong)
    page.get_by_role("button", name="Continue").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role("link", name=re.compile("did not match"))
    expect(link).to_have_attribute("href", "#id_token")
    field = page.locator("#id_token")
    expect(field).to_have_attribute("aria-invalid", "true")
    # The message under the field is tied to it, so a screen reader reads it with the field.
    described = (field.get_attribute("aria-describedby") or "").split()
    assert described, "the code field names no description"
    for ref in described:
        assert page.locator(f"#{ref}").count() == 1, f"aria-describedby points at missing #{ref}"
    expect(page.locator("#id_token_error")).to_contain_text("did not match")

    # Following the summary's link puts the cursor in the field, by mouse or by keyboard.
    link.click()
    expect(field).to_be_focused()
    page.locator("body").focus()
    link.focus()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    # Still not signed in: the dashboard sends them back to the code page.
    page.goto("/")
    assert h1(page) == "Enter the code from your authenticator app"
