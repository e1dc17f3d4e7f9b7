"""A headteacher grants the DSL role on the Roles screen; a second headteacher confirms it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.people.actors import actor_for_user
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, h1, sign_in
from tests.factories import SchoolFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _signed_in_with_code(page: Page, staff) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    sign_in(page, staff.user.username)
    assert h1(page) == "Enter the code from your authenticator app"
    enter_code(page, device.bin_key)


def test_head_grants_dsl_and_a_second_head_confirms_it(page: Page) -> None:
    school = SchoolFactory(name="Oakfield Primary")
    head = make_staff(school, Role.HEADTEACHER, first_name="Helen", last_name="Walker")
    other_head = make_staff(school, Role.HEADTEACHER, first_name="Omar", last_name="Khan")
    teacher = make_staff(
        school, Role.TEACHER, first_name="Saima", last_name="Riaz", email="saima@example.org"
    )

    _signed_in_with_code(page, head)
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Saima Riaz").click()
    page.get_by_role("link", name="Change roles").click()
    check_page_basics(page, "Roles of Saima Riaz")

    # Nothing chosen: the error summary names the field and links to it.
    page.get_by_role("button", name="Grant role").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the role to grant.")
    check_page_basics(page, "Roles of Saima Riaz")
    page.locator(".govuk-error-summary a").click()
    expect(page.get_by_label("Role to grant")).to_be_focused()
    page.get_by_label("Role to grant").select_option(label="Designated safeguarding lead")
    page.get_by_role("button", name="Grant role").click()
    expect(page.get_by_role("status")).to_contain_text("takes effect once another headteacher")
    expect(page.locator("tbody")).to_contain_text("Awaiting confirmation")
    assert page.get_by_role("button", name="Confirm Designated safeguarding lead").count() == 0
    assert Role.DSL not in actor_for_user(teacher.user).roles_in(school.id)
    assert "saima@example.org" in [m.to[0] for m in mail.outbox]

    page.get_by_role("button", name="Sign out").click()
    _signed_in_with_code(page, other_head)
    page.get_by_role("link", name="Roles to confirm").click()
    assert h1(page) == "Roles awaiting confirmation"
    check_page_basics(page, "Roles awaiting confirmation")
    page.get_by_role("link", name="Saima Riaz").click()
    page.get_by_role("button", name="Confirm Designated safeguarding lead").click()
    expect(page.get_by_role("status")).to_contain_text("Saima Riaz now holds it")
    expect(page.locator("tbody")).to_contain_text("confirmed by Omar Khan")
    assert Role.DSL in actor_for_user(teacher.user).roles_in(school.id)


def test_a_dsl_makes_backup_codes_and_signs_in_with_one(page: Page) -> None:
    school = SchoolFactory()
    dsl = make_staff(school, Role.DSL, first_name="Emma", last_name="Taylor")
    _signed_in_with_code(page, dsl)
    page.get_by_role("link", name=re.compile(r"^Emma Taylor\W+your account$")).click()
    check_page_basics(page, "Your account")
    page.get_by_role("link", name="Backup codes for the second sign-in step").click()
    page.get_by_role("button", name="Make backup codes").click()
    check_page_basics(page, "Backup codes")
    codes = page.get_by_role("list", name="Your backup codes").locator("li").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, dsl.user.username)
    page.get_by_text("Lost your phone? Use a backup code").click()
    check_page_basics(page, "Enter the code from your authenticator app")
    page.get_by_label("Backup code").fill(codes[3])
    page.get_by_role("button", name="Use backup code").click()
    assert h1(page) == "Dashboard"
