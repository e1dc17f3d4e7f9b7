"""A session from the browser: a tutor plans a one-to-one under the trust's one-to-one protocol
and watches the protocol's answer change as the plan does, saves it, invites the DSL; a senior
leader approves it with the risk assessment; the DSL finds it on the timetable."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.protocols.effective import protocol_cache
from chaperone.scheduling.models import Session
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import next_weekday_at

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _sign_out(page: Page) -> None:
    page.context.clear_cookies()


def test_a_one_to_one_is_planned_approved_and_on_the_timetable(page: Page) -> None:
    protocol_cache.clear()
    trust = TrustFactory(name="Northfield Trust")
    school = SchoolFactory(trust=trust, name="Northfield Academy")
    trust_version(trust, "npat-one-to-one")
    tutor = make_staff(school, Role.TUTOR, first_name="Tamsin", last_name="Reed")
    slt = make_staff(school, Role.SLT, first_name="Sam", last_name="Okafor")
    dsl = make_staff(school, Role.DSL, first_name="Dana", last_name="Price")
    PupilFactory(school=school, first_name="Aled", last_name="Morgan", year_group=9)
    when = next_weekday_at(12, 45)

    sign_in(page, tutor.user.username, path="/sessions/plan/")
    check_page_basics(page, "Plan a session")
    page.get_by_label("Name of the session").fill("Weekly check-in")
    page.get_by_label("Date").fill(when.date().isoformat())
    page.get_by_label("Start time").fill("12:45")
    page.get_by_label("Pupils").select_option(label="Aled Morgan (Year 9)")
    page.get_by_label("Purpose").select_option("pastoral")
    # a personal account: the answer turns to "no" at once
    page.locator("#id_account_1").check()
    expect(page.locator("#decision")).to_contain_text("What stops this call")
    page.locator("#id_account_0").check()
    page.get_by_label("The school will record the call").check()
    expect(page.locator("#decision")).to_contain_text("Steps on the checklist once saved")
    page.get_by_label("Outcome tied to the pupil's pastoral or EHC plan (if any)").fill(
        "Attendance target in the pastoral plan."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Plan the session").click()
    session = Session.objects.get()
    check_page_basics(page, "Weekly check-in")
    expect(page.locator("#step-approval")).to_contain_text("To do")
    with page.expect_navigation():
        page.get_by_role("button", name="Invite the DSL").click()
    expect(page.locator("#step-invite_dsl")).to_contain_text("Done")
    _sign_out(page)

    device = TOTPDevice.objects.create(user=slt.user, name="phone", confirmed=True)
    sign_in(page, slt.user.username, path=f"/sessions/{session.pk}/approval/")
    enter_code(page, device.bin_key)
    check_page_basics(page, "Approve “Weekly check-in”?")
    page.get_by_label("Why must this contact happen remotely").fill("Pupil learning at home.")
    page.get_by_label("What is known about the pupil").fill("Nothing of concern on file.")
    page.get_by_label("What will keep the pupil").fill("School account, recorded, DSL invited.")
    page.get_by_label("What will the host do").fill("End the call and report to the DSL.")
    page.get_by_label("Approve the session").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("main")).to_contain_text("the session may go ahead as planned")
    _sign_out(page)

    dsl_device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    start = when.date().isoformat()
    sign_in(page, dsl.user.username, path=f"/sessions/timetable/?view=day&start={start}")
    enter_code(page, dsl_device.bin_key)
    check_page_basics(page, "Timetable of calls")
    row = page.get_by_role("row", name="Weekly check-in")
    expect(row).to_contain_text("Tamsin Reed")
    expect(row).to_contain_text("May go ahead")
