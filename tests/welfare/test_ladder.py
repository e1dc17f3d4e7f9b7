"""The DSL's escalation ladder page: steps, who is told and after how long; bad rows named by
field with nothing saved; only the DSL; the saved ladder used by the next escalation and its
notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.tenancy.roles import Role
from chaperone.welfare import escalation
from chaperone.welfare.models import LadderStep, WelfareSettings
from chaperone.welfare.need import WelfareProblem
from tests.factories import make_staff
from tests.welfare.conftest import Closure
from tests.welfare.test_calls_and_escalation import _escalate
from tests.welfare.test_views import _client

pytestmark = pytest.mark.django_db


def test_the_dsl_saves_a_ladder_and_the_next_escalation_follows_it(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(closure.school, Role.HEADTEACHER, first_name="Hal", last_name="Head")
    client = _client(closure.dsl)
    page = client.get(reverse("welfare:ladder"))
    assert page.status_code == 200 and "DSL review" in page.content.decode()
    response = client.post(
        reverse("welfare:ladder"),
        {
            "step_1": "dsl_review",
            "days_1": "2",
            "tell_1": ["safeguarding"],
            "step_2": "police",
            "days_2": "1",
            "tell_2": ["head", "callers"],
        },
    )
    assert response.status_code == 302
    saved = WelfareSettings.objects.get(school=closure.school).ladder
    assert saved == [
        {"step": "dsl_review", "days": 2, "tell": ["safeguarding"]},
        {"step": "police", "days": 1, "tell": ["callers", "head"]},
    ]
    event = AuditEvent.objects.get(action="welfare.ladder_changed")
    assert event.details["after"] == saved and len(event.details["before"]) == 4
    with django_capture_on_commit_callbacks(execute=True):
        item = _escalate(closure)
    step = item.steps.get()
    assert step.step == LadderStep.DSL_REVIEW
    assert step.due_at - step.opened_at == dt.timedelta(days=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalation.escalation_timers_run(now=timezone.now() + dt.timedelta(days=3))
    assert [s.step for s in item.steps.order_by("pk")] == [
        LadderStep.DSL_REVIEW,
        LadderStep.POLICE,
    ]
    told = sorted(a for m in mail.outbox for a in m.to)
    assert told == sorted([head.email, closure.sen.email])  # the head and the family's caller
    assert closure.dsl.email not in told
    assert AuditEvent.objects.filter(action="welfare.escalation_step_notice_sent").count() == 1


def test_bad_rows_are_named_by_field_and_nothing_is_saved(closure: Closure) -> None:
    client = _client(closure.dsl)
    url = reverse("welfare:ladder")
    body = client.post(
        url, {"step_1": "dsl_review", "days_1": "0", "tell_1": ["safeguarding"]}
    ).content.decode()
    assert "Step 1, days: at least 1 day." in body
    body = client.post(
        url,
        {
            "step_1": "dsl_review",
            "days_1": "1",
            "tell_1": ["safeguarding"],
            "step_3": "police",
            "days_3": "1",
            "tell_3": ["head"],
        },
    ).content.decode()
    assert "Step 2: choose a step; the ladder cannot skip a row." in body
    response = client.post(
        url,
        {
            "step_1": "home_visit",
            "days_1": "4",
            "tell_1": ["safeguarding"],
            "step_2": "home_visit",
            "days_2": "1",
            "tell_2": ["head"],
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Step 2: Home visit is already an earlier step." in body
    assert 'value="4"' in body  # what was typed is kept
    body = client.post(
        url, {"step_1": "dsl_review", "days_1": "1", "tell_1": ["the press"]}
    ).content.decode()
    assert "Step 1, who is told: &#x27;the press&#x27; is not a choice." in body
    body = client.post(url, {"step_1": "dsl_review", "days_1": "1"}).content.decode()
    assert "Step 1, who is told: choose at least one." in body
    assert not WelfareSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="welfare.ladder_changed").exists()


def test_only_the_dsl_changes_the_ladder(closure: Closure) -> None:
    deputy = make_staff(closure.school, Role.DEPUTY_DSL, first_name="Dee", last_name="Deputy")
    assert _client(deputy).get(reverse("welfare:ladder")).status_code == 403
    assert _client(closure.teacher).get(reverse("welfare:ladder")).status_code == 403
    with pytest.raises(PermissionDenied):
        escalation.ladder_set(
            actor=closure.actor(deputy),
            school_id=closure.school.pk,
            steps=[{"step": "police", "days": 1, "tell": ["head"]}],
        )
    with pytest.raises(WelfareProblem) as problem:
        escalation.ladder_set(
            actor=closure.actor(closure.dsl), school_id=closure.school.pk, steps=[]
        )
    assert problem.value.field == "step_1"
