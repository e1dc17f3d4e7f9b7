"""The DSL's escalation ladder and the rota page in the browser: a bad row is named and kept, a
good ladder saved; a rota being planned shows itself once planned without a reload, and then
stops asking the server."""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.tenancy.roles import Role
from chaperone.welfare.models import RotaRun, RunStatus, WelfareSettings
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import SchoolFactory, TrustFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _dsl_signed_in(page: Page):  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Fen Trust")
    school = SchoolFactory(trust=trust, name="Fen Primary")
    dsl = make_staff(school, Role.DSL, first_name="Dora", last_name="Lane")
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    sign_in(page, dsl.user.username, path="/welfare/escalations/")
    enter_code(page, device.bin_key)
    return trust, school, dsl


def test_the_dsl_changes_the_ladder_and_a_planning_rota_shows_itself(page: Page) -> None:
    trust, school, _ = _dsl_signed_in(page)
    check_page_basics(page, "Families not reached")
    with page.expect_navigation():
        page.get_by_role("link", name="Change the escalation ladder").click()
    check_page_basics(page, "Escalation ladder")
    page.get_by_label("Step 2: days allowed before the next step is due").fill("45")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the ladder").click()
    check_page_basics(page, "Escalation ladder")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Step 2, days: at most 30 days.")
    expect(page.get_by_label("Step 2: days allowed before the next step is due")).to_have_value(
        "45"
    )
    assert not WelfareSettings.objects.exists()
    page.get_by_label("Step 2: days allowed before the next step is due").fill("3")
    page.locator("#id_step_4").select_option("")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the ladder").click()
    expect(page.get_by_role("status")).to_contain_text("The escalation ladder is saved.")
    ladder = WelfareSettings.objects.get(school=school).ladder
    assert [(s["step"], s["days"]) for s in ladder] == [
        ("dsl_review", 1),
        ("social_worker", 3),
        ("home_visit", 2),
    ]

    # a rota waiting to be planned: the page shows it once planned, without a reload
    today = dt.date.today()
    run = RotaRun.objects.create(
        trust=trust,
        title="Flood closure",
        first_day=today,
        last_day=today,
        days=[today.isoformat()],
    )
    run.schools.set([school])
    page.goto(f"/welfare/rotas/{run.pk}/")
    check_page_basics(page, "Flood closure")
    expect(page.get_by_test_id("run-status")).to_contain_text("Waiting to be planned")
    expect(page.get_by_test_id("rota-polling")).to_have_count(1)
    RotaRun.objects.filter(pk=run.pk).update(status=RunStatus.PLANNED, stats={"calls": 0})
    expect(page.get_by_test_id("run-status")).to_contain_text("Planned", timeout=8000)
    expect(page.get_by_test_id("rota-polling")).to_have_count(0)
    # and no more requests go out for it
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/welfare/rotas/" in r.url else None)
    page.wait_for_timeout(4500)
    assert asked == []
