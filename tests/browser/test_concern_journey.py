"""A concern from the browser: a teacher raises it from the header's quick-add; the DSL is
alerted (the mail read from a real local SMTP server), acknowledges it, adds an action, finishes
it and closes the concern; a teacher outside the safeguarding team gets a 404; the DSL's "who
read what" shows each read."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.concerns.models import Concern, ConcernStatus
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff
from tests.protocols import conftest as protocol_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

smtp_inbox = protocol_fixtures.smtp_inbox  # the real local SMTP server


def test_a_concern_from_the_quick_add_to_its_closing(page: Page, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Heron Trust")
    school = SchoolFactory(trust=trust, name="Heron Primary")
    teacher = make_staff(school, Role.TEACHER, first_name="Tara", last_name="Quill")
    other_teacher = make_staff(school, Role.TEACHER, first_name="Otis", last_name="Lamb")
    dsl = make_staff(school, Role.DSL, first_name="Dina", last_name="Marsh")
    PupilFactory(school=school, first_name="Milo", last_name="Brook", year_group=3)

    # the teacher, on any page, raises a concern from the header
    sign_in(page, teacher.user.username, path="/")
    started = time.monotonic()
    with page.expect_navigation():
        page.get_by_role("link", name="Raise a concern").click()
    check_page_basics(page, "Raise a concern")
    page.get_by_label("What you saw or heard").fill(
        "Milo flinched when I raised my hand and said his uncle hits him."
    )
    page.get_by_label("Pupil 1", exact=True).select_option(label="Milo Brook (Year 3)")
    page.get_by_label("Category").select_option(label="Physical abuse")
    page.get_by_label("Urgent: a child may be at risk now").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send to the safeguarding team").click()
    took = time.monotonic() - started
    assert took < 30, f"raising the concern took {took:.1f} s"
    expect(page.get_by_role("status").first).to_contain_text("sent to the safeguarding team")
    concern = Concern.objects.get()
    assert concern.is_urgent and concern.category is not None

    # the DSL is told at once, by a real SMTP server
    alert = next(m for m in smtp_inbox.messages if "uncle hits him" in m[2])
    assert alert[1] == [dsl.notice_email]
    assert "URGENT" in alert[2]
    link = re.search(r"Open it in Chaperone: (\S+)", alert[2])
    assert link is not None

    # the DSL signs in from the link, opens it, acknowledges, acts and closes
    page.context.clear_cookies()
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    sign_in(page, dsl.user.username, path="/concerns/")
    enter_code(page, device.bin_key)
    check_page_basics(page, "Concerns")
    expect(page.get_by_text("Urgent").first).to_be_visible()
    with page.expect_navigation():
        page.locator(f"a[href='/concerns/{concern.pk}/']").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("status")).to_contain_text("Acknowledged")
    page.get_by_label("What is to be done").select_option(label="Call the parent or carer")
    page.get_by_label("Who does it").select_option(label="Dina Marsh")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_role("cell", name="Call the parent or carer")).to_be_visible()
    page.get_by_label("What happened").fill("Spoke to mum; she will keep the uncle away.")
    with page.expect_navigation():
        page.get_by_role("button", name="Finish this action").click()
    page.get_by_label("Why the concern can be closed").fill(
        "Mum has acted; early help offered and accepted."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Close the concern").click()
    expect(page.get_by_test_id("status")).to_contain_text("Closed")
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.CLOSED

    # a teacher outside the team: a 404, the same as a missing concern
    outsider = Client()
    outsider.force_login(other_teacher.user)
    assert outsider.get(f"/concerns/{concern.pk}/").status_code == 404

    # the DSL sees who read it: the raiser once, and the DSL at each step
    page.goto("/audit/reads/")
    check_page_basics(page, "Who read what")
    rows = page.locator("main table tbody tr")
    reads = [r for r in rows.all_inner_texts() if "A concern was opened" in r]
    assert any("Tara Quill" in r for r in reads)
    assert sum("Dina Marsh" in r for r in reads) >= 5  # opened, and after each step
