"""The welfare pages: the caller's sheet and the call form, the DSL's pages, bad input kept and
named, the PDF and the CSV (never a phone number)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.tenancy.policies import TWO_FACTOR_ROLES
from chaperone.welfare.models import CallLog, PlannedCall, RotaRun, RunStatus, Tier
from tests.conftest import verified_client
from tests.welfare.conftest import Closure

pytestmark = pytest.mark.django_db


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    if staff.assignments.filter(role__in=sorted(TWO_FACTOR_ROLES)).exists():
        return verified_client(staff)
    client = Client()
    client.force_login(staff.user)
    return client


def _today_call(closure: Closure, family: str = "ehcp") -> PlannedCall:
    today = timezone.localdate()
    run = RotaRun.objects.create(
        trust=closure.trust,
        title="Closure",
        first_day=today,
        last_day=today + dt.timedelta(days=7),
        days=[(today + dt.timedelta(days=i)).isoformat() for i in range(8)],
        status=RunStatus.PLANNED,
    )
    run.schools.set([closure.school])
    return PlannedCall.objects.create(
        run=run, household=closure.families[family], staff=closure.sen, day=today, tier=Tier.WEEKLY
    )


def test_the_caller_sees_todays_call_with_the_number_and_records_it(closure: Closure) -> None:
    call = _today_call(closure)
    client = _client(closure.sen)
    page = client.get(reverse("welfare:sheet")).content.decode()
    assert "EHCP family" in page and "+447700900102" in page
    # the call form keeps what was typed when the outcome is missing, and names the field
    response = client.post(reverse("welfare:record", args=[call.pk]), {"notes": "Rang twice"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "What happened: choose the outcome of the call." in body and "Rang twice" in body
    response = client.post(
        reverse("welfare:record", args=[call.pk]),
        {"outcome": "child", "food": "fine", "notes": "All well"},
    )
    assert response.status_code == 302
    assert CallLog.objects.get().notes == "All well"


def test_another_caller_sees_neither_the_call_nor_the_number(closure: Closure) -> None:
    call = _today_call(closure)
    client = _client(closure.teacher)
    page = client.get(reverse("welfare:sheet")).content.decode()
    assert "+447700900102" not in page
    assert client.get(reverse("welfare:record", args=[call.pk])).status_code == 404


def test_the_dsl_pages_answer(closure: Closure) -> None:
    _today_call(closure)
    client = _client(closure.dsl)
    for name in (
        "welfare:coverage",
        "welfare:tiers",
        "welfare:households",
        "welfare:callers",
        "welfare:rotas",
        "welfare:escalations",
        "welfare:preferences_import",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("welfare:rota", args=[RotaRun.objects.get().pk])).status_code == 200
    assert (
        client.get(reverse("welfare:tier_change", args=[closure.pupils["cp"].pk])).status_code
        == 200
    )


def test_a_teacher_may_not_open_the_dsl_pages(closure: Closure) -> None:
    client = _client(closure.teacher)
    assert client.get(reverse("welfare:coverage")).status_code == 403
    assert client.get(reverse("welfare:tiers")).status_code == 403


def test_an_unknown_tier_posted_is_named_and_the_reason_kept(closure: Closure) -> None:
    client = _client(closure.dsl)
    url = reverse("welfare:tier_change", args=[closure.pupils["cp"].pk])
    body = client.post(url, {"tier": "hourly", "reason": "Mum asked"}).content.decode()
    assert "Tier: &#x27;hourly&#x27; is not a tier" in body and "Mum asked" in body


def test_a_bad_csv_lists_its_rows_with_the_fields(closure: Closure) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(closure.dsl)
    ref = closure.families["cp"].reference
    upload = SimpleUploadedFile("prefs.csv", f"household_reference,channel\n{ref},fax\n".encode())
    body = client.post(reverse("welfare:preferences_import"), {"file": upload}).content.decode()
    assert "Row 2, channel: Preferred channel: &#x27;fax&#x27; is not one of" in body


def test_availability_of_staff_with_no_school_is_refused_by_name(closure: Closure) -> None:
    client = _client(closure.dsl)
    url = reverse("welfare:availability", args=[closure.teacher.pk])
    data = {
        "days": ["mon"],
        "hours_from": "09:00",
        "hours_to": "08:00",
        "calls_per_day": "3",
        "school_phone": "ext 9",
        "withheld_number": "school_phone",
    }
    body = client.post(url, data).content.decode()
    assert "Hours: the end must come after the start." in body and "ext 9" in body


def test_the_csv_export_has_no_phone_numbers_and_is_audited(closure: Closure) -> None:
    call = _today_call(closure)
    CallLog.objects.create(
        household=call.household,
        planned_call=call,
        caller=closure.sen,
        day=call.day,
        outcome="child",
    )
    response = _client(closure.dsl).get(reverse("welfare:export_csv"))
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "EHCP family" in text and "Spoke to the child" in text
    assert "+4477" not in text and "07700" not in text
    assert AuditEvent.objects.filter(action="welfare.calls_exported").exists()


def test_the_day_sheets_pdf(closure: Closure) -> None:
    _today_call(closure)
    response = _client(closure.dsl).get(reverse("welfare:day_pdf", args=[closure.school.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    other = _client(closure.dsl).get(reverse("welfare:day_pdf", args=[closure.other.pk]))
    assert other.status_code == 404


def test_the_coverage_counts_due_made_and_reached(closure: Closure) -> None:
    from chaperone.welfare.selectors import coverage

    call = _today_call(closure)
    _today_call_2 = PlannedCall.objects.create(
        run=call.run,
        household=closure.families["cp"],
        staff=closure.sen,
        day=call.day,
        tier=Tier.DAILY,
    )
    CallLog.objects.create(
        household=call.household,
        planned_call=call,
        caller=closure.sen,
        day=call.day,
        outcome="parent",
    )
    CallLog.objects.create(
        household=_today_call_2.household,
        planned_call=_today_call_2,
        caller=closure.sen,
        day=call.day,
        outcome="no_answer",
    )
    cov = coverage(
        actor=closure.actor(closure.dsl), school=closure.school, first=call.day, last=call.day
    )
    assert (cov.total.due, cov.total.made, cov.total.reached) == (2, 2, 1)
    tiers = dict(cov.by_tier)
    assert (tiers["Every school day"].due, tiers["Every school day"].reached) == (1, 0)
    assert dict(cov.by_caller)["Sam Sen"].due == 2


def test_the_rota_page_asks_for_itself_while_planning_and_stops_when_done(closure: Closure) -> None:
    call = _today_call(closure)
    run = call.run
    RotaRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    client = _client(closure.dsl)
    url = reverse("welfare:rota", args=[run.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and f'hx-get="{url}"' in page
    # htmx's request gets the body alone, still asking while the run waits
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part and 'id="rota-body"' in part and "every 2s" in part
    RotaRun.objects.filter(pk=run.pk).update(status=RunStatus.PLANNED)
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="rota-body"' in done and "hx-trigger" not in done
    assert "EHCP family" in done  # the plan itself
    assert "hx-trigger" not in client.get(url).content.decode()
