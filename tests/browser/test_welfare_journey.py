"""Welfare calls in the browser: a caller opens today's call sheet, sees the family's number and
preferences, records a call that did not reach anyone (the family's second failed day); the DSL
gets the escalation by email from a real local SMTP server, sees it on the dashboard, opens the
attempt history and records the first step of the ladder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.people.models import SocialCareStatus
from chaperone.tenancy.roles import Role
from chaperone.welfare.models import (
    CallLog,
    Escalation,
    HouseholdPreference,
    PlannedCall,
    RotaRun,
    RunStatus,
    Tier,
)
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import (
    ContactFactory,
    HouseholdFactory,
    PupilFactory,
    SchoolFactory,
    TrustFactory,
    make_staff,
)
from tests.protocols import conftest as protocol_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

smtp_inbox = protocol_fixtures.smtp_inbox  # the real local SMTP server


def test_a_caller_records_a_call_and_the_dsl_sees_the_escalation(page: Page, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Marsh Trust")
    school = SchoolFactory(trust=trust, name="Marsh Primary")
    dsl = make_staff(school, Role.DSL, first_name="Dana", last_name="Price")
    caller = make_staff(school, Role.SEN_STAFF, first_name="Sian", last_name="Hughes")
    household = HouseholdFactory(trust=trust, name="Okafor family")
    ContactFactory(
        household=household, first_name="Grace", last_name="Okafor", phone="+447700900321"
    )
    PupilFactory(
        school=school,
        household=household,
        first_name="Tobi",
        last_name="Okafor",
        social_care_status=SocialCareStatus.CP,
        is_vulnerable=True,
    )
    HouseholdPreference.objects.create(household=household, channel="phone", ask_for="Grace")
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    run = RotaRun.objects.create(
        trust=trust,
        title="Closure",
        first_day=yesterday,
        last_day=today,
        days=[yesterday.isoformat(), today.isoformat()],
        status=RunStatus.PLANNED,
    )
    run.schools.set([school])
    before = PlannedCall.objects.create(
        run=run, household=household, staff=caller, day=yesterday, tier=Tier.DAILY, status="made"
    )
    CallLog.objects.create(
        household=household, planned_call=before, caller=caller, day=yesterday, outcome="no_answer"
    )
    PlannedCall.objects.create(
        run=run, household=household, staff=caller, day=today, tier=Tier.DAILY
    )

    # the caller's sheet: the family, its number today, who to ask for, yesterday's attempt
    sign_in(page, caller.user.username, path="/welfare/")
    check_page_basics(page, f"Your welfare calls, {today:%A} {today.day} {today:%B %Y}")
    card = page.locator("[data-testid^=call-]")
    expect(card).to_contain_text("Okafor family")
    expect(card).to_contain_text("+447700900321")
    expect(card).to_contain_text("ask for Grace")
    expect(card).to_contain_text("No answer")
    with page.expect_navigation():
        page.get_by_role("link", name="Record the call").click()
    check_page_basics(page, "Record the call to Okafor family")
    page.get_by_label("No answer").check()
    page.get_by_label("Notes").fill("Rang at 10 and at 2; no answer.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the call").click()
    expect(page.locator("[data-testid^=call-]")).to_contain_text("No answer")

    # the second failed day: the DSL is told at once
    escalation = Escalation.objects.get()
    notice = next(m for m in smtp_inbox.messages if "Okafor family" in m[2])
    assert notice[1] == [dsl.notice_email]
    assert f"/welfare/escalations/{escalation.pk}/" in notice[2]

    page.context.clear_cookies()
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    sign_in(page, dsl.user.username, path="/")
    enter_code(page, device.bin_key)
    expect(page.get_by_test_id("welfare-escalations")).to_contain_text("Okafor family")
    with page.expect_navigation():
        page.get_by_test_id("welfare-escalations").get_by_role("link", name="Okafor family").click()
    check_page_basics(page, "Okafor family: not reached")
    attempts = page.get_by_test_id("attempts")
    expect(attempts).to_contain_text(yesterday.isoformat())
    expect(attempts).to_contain_text("Rang at 10 and at 2")
    page.get_by_label("What happened").fill(
        "Rang Grace's work number; no answer. Asking the social worker."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Record the step").click()
    expect(page.get_by_test_id("steps")).to_contain_text("Social worker informed")
    expect(page.get_by_test_id("steps")).to_contain_text("Asking the social worker")
