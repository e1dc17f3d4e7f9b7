"""A DSL confirms a flag change an import asked for, with the keyboard-friendly form."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.people.models import PendingFlagChange, Pupil, Role
from chaperone.people.services import people_import
from chaperone.tenancy.policies import SYSTEM
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import at, enter_code, sign_in
from tests.factories import PupilFactory, SchoolFactory, make_staff
from tests.people.test_import_support import pupils_csv

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_dsl_confirms_a_cleared_cp_plan(page: Page) -> None:
    school = SchoolFactory(name="Brookside Primary")
    pupil = PupilFactory(
        school=school, first_name="Ola", last_name="Adeyemi", social_care_status="cp"
    )
    row = [pupil.upn, "Adeyemi", "Ola", "01/05/2016", "4", ""]
    people_import(
        actor=SYSTEM,
        school=school,
        kind="pupils",
        data=pupils_csv([row], header=("UPN", "Surname", "Forename", "DOB", "Year", "CP")),
    )
    dsl = make_staff(school, Role.DSL)
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)

    sign_in(page, dsl.user.username, path="/people/flag-changes/")
    enter_code(page, device.bin_key)
    expect(page).to_have_url(at("/people/flag-changes/"))
    check_page_basics(page, "Flag changes waiting for the DSL")
    page.get_by_label("social care status of Ola Adeyemi").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm the changes ticked").click()
    expect(page.get_by_test_id("no-flag-changes")).to_be_visible()
    assert Pupil.objects.get(pk=pupil.pk).social_care_status == ""
    assert PendingFlagChange.objects.get(pupil=pupil).status == "confirmed"
