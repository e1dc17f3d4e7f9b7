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


def test_an_administrators_import_shows_no_flag_and_the_dsl_decides(page: Page) -> None:
    """The administrator's preview and result say the same for a child on a plan as for any
    other (deliverables review, gap 1); the DSL then sees the one real change."""
    school = SchoolFactory(name="Brookside Primary")
    on_plan = PupilFactory(
        school=school,
        first_name="Ola",
        last_name="Adeyemi",
        social_care_status="cp",
        is_vulnerable=True,
    )
    plain = PupilFactory(school=school, first_name="Ben", last_name="Carter")
    header = "UPN,Surname,Forename,DOB,Year,CP,Vulnerable"
    rows = [f"{p.upn},{p.last_name},{p.first_name},01/05/2016,4,N,N" for p in (on_plan, plain)]
    admin = make_staff(school, Role.SCHOOL_ADMIN)

    sign_in(page, admin.user.username, path="/people/import/")
    page.get_by_label("Pupils", exact=True).check()
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "pupils.csv",
                "mimeType": "text/csv",
                "buffer": ("\r\n".join([header, *rows]) + "\r\n").encode(),
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    check_page_basics(page, "Check the import: pupils")
    expect(page.get_by_test_id("flag-columns-to-dsl")).to_contain_text("go to the DSL")
    main = page.locator("main")
    expect(main).not_to_contain_text("Adeyemi")
    expect(main).not_to_contain_text("needs the DSL")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and import").click()
    check_page_basics(page, "Import complete: pupils")
    expect(page.get_by_role("status")).to_contain_text("0 updated, 2 unchanged")
    expect(page.locator("main")).not_to_contain_text("Adeyemi")

    page.context.clear_cookies()
    dsl = make_staff(school, Role.DSL)
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    sign_in(page, dsl.user.username, path="/people/flag-changes/")
    enter_code(page, device.bin_key)
    expect(page).to_have_url(at("/people/flag-changes/"))
    expect(page.locator("main")).to_contain_text("1 change waiting")
    page.get_by_label("social care status of Ola Adeyemi").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm the changes ticked").click()
    expect(page.get_by_test_id("no-flag-changes")).to_be_visible()
    on_plan.refresh_from_db()
    assert (on_plan.social_care_status, on_plan.is_vulnerable) == ("", True)
