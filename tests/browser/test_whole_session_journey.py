"""Issue #9's whole journey from the browser, one person after another: a tutor plans a
one-to-one under `npat-one-to-one` (with the school's addition that one-to-ones need a parent's
written consent) and sees its steps; a senior leader approves it with a risk assessment; the
parent consents through the link in the email a real local SMTP server received; the DSL finds
the call on the timetable and in the school's calendar feed; the tutor opens it, answers the
checklist, ends and reports, and the DSL's alert arrives."""

from __future__ import annotations

import email
from datetime import timedelta
from email.message import Message
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from icalendar import Calendar
from playwright.sync_api import Page, expect

from chaperone.protocols.demo import primary_overlay_source
from chaperone.protocols.effective import protocol_cache
from chaperone.scheduling import conduct
from chaperone.scheduling.models import Session, SessionState
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import ContactFactory, PupilFactory, SchoolFactory, TrustFactory, make_staff
from tests.protocols import conftest as protocol_fixtures
from tests.protocols.factories import school_overlay_version, trust_version
from tests.scheduling.conftest import next_weekday_at
from tests.scheduling.parents import link_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

smtp_inbox = protocol_fixtures.smtp_inbox  # the real local SMTP server

CONSENT_RULE = """

[[rules]]
id = "one-to-one-consent"
code = "PARENTAL_CONSENT_REQUIRED"
effect = "pending"
when = { kind = ["one_to_one"] }
require = { consent_at_least = "written" }
text = "A one-to-one needs a parent's written consent, given in advance."
remedy = "Ask the pupil's parents for their written consent before the call."
"""


def _text_of(raw: str) -> str:
    parsed: Message = email.message_from_string(raw)
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()  # type: ignore[union-attr]
    raise AssertionError("no text part")


def _signed_in_with_code(page: Page, staff, path: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    sign_in(page, staff.user.username, path=path)
    enter_code(page, device.bin_key)


def test_the_whole_journey_of_a_one_to_one(page: Page, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    protocol_cache.clear()
    trust = TrustFactory(name="Northfield Trust")
    school = SchoolFactory(trust=trust, name="Northfield Academy")
    trust_version(trust, "npat-one-to-one")
    school_overlay_version(school, text=primary_overlay_source(school) + CONSENT_RULE)
    tutor = make_staff(school, Role.TUTOR, first_name="Tamsin", last_name="Reed")
    slt = make_staff(school, Role.SLT, first_name="Sam", last_name="Okafor")
    dsl = make_staff(school, Role.DSL, first_name="Dana", last_name="Price")
    pupil = PupilFactory(school=school, first_name="Aled", last_name="Morgan", year_group=9)
    parent = ContactFactory(
        household=pupil.household,
        first_name="Rhian",
        last_name="Morgan",
        email="rhian.morgan@example.net",
        has_parental_responsibility=True,
    )
    when = next_weekday_at(12, 45)

    # the tutor plans the call; the answer lists its steps
    sign_in(page, tutor.user.username, path="/sessions/plan/")
    page.get_by_label("Name of the session").fill("Weekly check-in")
    page.get_by_label("Date").fill(when.date().isoformat())
    page.get_by_label("Start time").fill("12:45")
    page.get_by_label("Pupils").select_option(label="Aled Morgan (Year 9)")
    page.get_by_label("Purpose").select_option("pastoral")
    page.get_by_label("The school will record the call").check()
    page.get_by_label("Outcome tied to the pupil's pastoral or EHC plan (if any)").fill(
        "Attendance target in the pastoral plan."
    )
    expect(page.locator("#decision")).to_contain_text("Steps on the checklist once saved")
    with page.expect_navigation():
        page.get_by_role("button", name="Plan the session").click()
    session = Session.objects.get()
    for step in ("approval", "risk_assessment", "consent", "invite_dsl"):
        expect(page.locator(f"#step-{step}")).to_contain_text("To do")
    with page.expect_navigation():
        page.get_by_role("button", name="Invite the DSL").click()
    expect(page.locator("#step-invite_dsl")).to_contain_text("Done")

    # a senior leader approves it with the risk assessment
    _signed_in_with_code(page, slt, f"/sessions/{session.pk}/approval/")
    page.get_by_label("Why must this contact happen remotely").fill("Pupil learning at home.")
    page.get_by_label("What is known about the pupil").fill("Nothing of concern on file.")
    page.get_by_label("What will keep the pupil").fill("School account, recorded, DSL invited.")
    page.get_by_label("What will the host do").fill("End the call and report to the DSL.")
    page.get_by_label("Approve the session").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#step-approval")).to_contain_text("Done")

    # the parent follows the link in the email the SMTP server received, and consents
    page.context.clear_cookies()
    asked = [raw for _, rcpt, raw in smtp_inbox.messages if rcpt == [parent.email]]
    assert asked, "no consent request reached the parent"
    link = link_in(_text_of(asked[0]))  # the site's address (CHAPERONE_BASE_URL) + the path
    page.goto(urlsplit(link).path)
    expect(page.locator("main")).to_contain_text("Weekly check-in")
    page.get_by_label("I have read the code of conduct above and accept it").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Give consent").click()
    session.refresh_from_db()
    assert session.outcome == "allowed"

    # the DSL finds it on the timetable and in the school's feed
    _signed_in_with_code(page, dsl, f"/sessions/timetable/?view=day&start={when.date()}")
    row = page.get_by_role("row", name="Weekly check-in")
    expect(row).to_contain_text("May go ahead")
    page.goto("/sessions/calendar/")
    page.locator("#feed-timetable").get_by_role("button", name="Make an address").click()
    address = page.locator("#url-timetable").input_value()
    feed = page.request.get(urlsplit(address).path)
    assert feed.ok
    events = list(Calendar.from_ical(feed.body()).walk("VEVENT"))
    assert any("Weekly check-in" in str(e.get("SUMMARY")) for e in events)

    # the day comes: the tutor opens the call, answers the checklist, ends and reports
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(minutes=5))
    page.context.clear_cookies()
    sign_in(page, tutor.user.username, path=f"/sessions/{session.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Open the call").click()
    session.refresh_from_db()
    for item in conduct.start_items(session):
        page.get_by_label(item.question).check()
    page.get_by_label("Aled Morgan").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Start the call").click()
    page.get_by_label("Why you are ending the call").fill("A disclosure.")
    page.get_by_label("What you saw or heard").fill("Aled said he is frightened at home.")
    with page.expect_navigation():
        page.get_by_role("button", name="End and report").click()
    check_page_basics(page, "Log of “Weekly check-in”")
    session.refresh_from_db()
    assert session.state == SessionState.ENDED
    alert = [rcpt for _, rcpt, raw in smtp_inbox.messages if "frightened at home" in raw]
    assert alert == [[dsl.notice_email]]
