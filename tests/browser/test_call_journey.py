"""Running a call from the browser: the host opens an allowed one-to-one, answers the
start-of-call checklist and records who joined, then ends and reports; the DSL's alert is read
from a real local SMTP server; the host writes the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from chaperone.concerns.models import Concern
from chaperone.people.actors import actor_for_user
from chaperone.protocols.effective import protocol_cache
from chaperone.scheduling import conduct, services
from chaperone.scheduling.conduct import SessionLog
from chaperone.scheduling.models import Session, SessionState
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import sign_in
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff
from tests.protocols import conftest as protocol_fixtures
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import next_weekday_at

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

smtp_inbox = protocol_fixtures.smtp_inbox  # the real local SMTP server


def test_the_host_opens_the_call_ends_and_reports_and_logs_it(page: Page, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    protocol_cache.clear()
    trust = TrustFactory(name="Werrington Trust")
    school = SchoolFactory(trust=trust, name="Werrington Primary")
    trust_version(trust, "werrington-primary")
    tutor = make_staff(school, Role.TUTOR, first_name="Tamsin", last_name="Reed")
    dsl = make_staff(school, Role.DSL, first_name="Dana", last_name="Price")
    pupil = PupilFactory(school=school, first_name="Aled", last_name="Morgan", year_group=5)
    session = services.session_plan(
        actor=actor_for_user(tutor.user),
        school=school,
        data=services.PlanData(
            title="Reading check-in",
            kind="one_to_one",
            purpose="pastoral",
            starts_at=next_weekday_at(12, 45),
            duration_minutes=30,
            platform="teams",
            host=tutor,
            pupils=[pupil],
            recording=True,
        ),
    )
    assert services.may_start(session)
    # the planned day arrives: the call starts in a few minutes
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(minutes=5))

    sign_in(page, tutor.user.username, path=f"/sessions/{session.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Open the call").click()
    check_page_basics(page, "Open the call “Reading check-in”")
    for item in conduct.start_items(session):
        page.get_by_label(item.question).check()
    page.get_by_label("Aled Morgan").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Start the call").click()
    check_page_basics(page, "“Reading check-in” is under way")

    page.get_by_label("Why you are ending the call").fill("A disclosure.")
    page.get_by_label("What you saw or heard").fill("Aled said nobody is looking after him.")
    with page.expect_navigation():
        page.get_by_role("button", name="End and report").click()
    check_page_basics(page, "Log of “Reading check-in”")
    session.refresh_from_db()
    assert session.state == SessionState.ENDED
    concern = Concern.objects.get()
    assert session.reported_concern_id == concern.pk
    alert = next(m for m in smtp_inbox.messages if "nobody is looking after him" in m[2])
    assert alert[1] == [dsl.notice_email]

    page.get_by_label("Notes").fill("Ended early; reported to the DSL.")
    page.get_by_label("Yes").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save the log").click()
    expect(page.locator("#the-call")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Ended and reported")
    assert SessionLog.objects.get(session=session).notes == "Ended early; reported to the DSL."
