"""The demo's past sessions: they ran (checklist, attendance, ended) and most are logged, and
the demo's delete takes them away."""

from __future__ import annotations

from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import demo
from chaperone.scheduling.conduct import Attendance, SessionLog, StartCheck
from chaperone.scheduling.models import Session, SessionState
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, make_staff
from tests.scheduling.conduct_support import cast_under


def test_the_demo_has_past_sessions_that_ran_and_were_logged(tenant_a) -> None:  # type: ignore[no-untyped-def]
    cast = cast_under(tenant_a, "werrington-primary")
    school = cast.school
    make_staff(school, Role.TEACHER)
    for n in range(30):
        PupilFactory(school=school, first_name=f"Demo{n}")
    groups = [(school.trust, [school])]
    demo.load_for_demo_tenants(groups)
    ended = Session.objects.filter(school=school, state=SessionState.ENDED)
    assert ended.count() == len(demo.PAST)
    assert all(s.starts_at < timezone.now() and s.ended_at < timezone.now() for s in ended)
    assert SessionLog.objects.filter(session__in=ended).count() == sum(p[6] for p in demo.PAST)
    assert StartCheck.objects.filter(session__in=ended).exists()
    assert Attendance.objects.filter(session__in=ended).count() == sum(p[5] for p in demo.PAST)
    assert Session.objects.filter(school=school, state=SessionState.PLANNED).exists()
    # the audit log has each run as conduct would have written it, marked as the demo's
    for action, count in (
        ("session.started", ended.count()),
        ("session.ended", ended.count()),
        ("session.logged", sum(p[6] for p in demo.PAST)),
    ):
        events = AuditEvent.objects.filter(action=action, school_id=school.pk)
        assert events.count() == count, action
        assert all(e.details["demo"] is True and e.details["ran_at"] for e in events)
        assert {e.target_id for e in events} <= {str(s.pk) for s in ended}
    logged = AuditEvent.objects.filter(action="session.logged", school_id=school.pk).first()
    assert logged is not None and logged.actor_label != "System"
    demo.delete_for_demo_tenants(groups)
    assert not Session.objects.filter(school=school).exists()
    assert not SessionLog.objects.exists()
