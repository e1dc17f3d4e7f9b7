"""Need to know: safeguarding flags, their filters and figures for the safeguarding team and
leaders only; DBS dates for those who keep staff records; lists of people audited like records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Role, SocialCareStatus
from chaperone.people.selectors import pupil_list, school_counts
from tests.factories import PupilFactory, make_staff

SEE_FLAGS = [Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER, Role.SLT, Role.TRUST_ADMIN]
NOT_FLAGS = [
    Role.TEACHER,
    Role.TUTOR,
    Role.PASTORAL_LEAD,
    Role.COUNSELLOR,
    Role.SCHOOL_ADMIN,
    Role.SUPPORT_STAFF,
]
FLAG_TAGS = ("CP plan", "CIN", "Looked after", "Vulnerable")


@pytest.fixture
def flagged(tenant_a):  # type: ignore[no-untyped-def]
    """Alpha Primary: Ada (no flags, from the fixture) plus one pupil for each flag."""
    school = tenant_a.school
    return {
        "cp": PupilFactory(
            school=school, last_name="Cpchild", social_care_status=SocialCareStatus.CP
        ),
        "cin": PupilFactory(
            school=school, last_name="Cinchild", social_care_status=SocialCareStatus.CIN
        ),
        "lac": PupilFactory(school=school, last_name="Lacchild", is_looked_after=True),
        "vulnerable": PupilFactory(school=school, last_name="Vulnchild", is_vulnerable=True),
    }


def _pupil_count(body: str) -> int:
    marker = 'data-testid="pupil-count">'
    return int(body.split(marker, 1)[1].split(" ", 1)[0])


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_FLAGS)
@pytest.mark.parametrize("flag", ["cp", "cin", "lac", "vulnerable"])
def test_a_safeguarding_filter_does_not_filter_for_others(  # type: ignore[no-untyped-def]
    tenant_a, flagged, login_as, role, flag
) -> None:
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    body = client.get(reverse("people:pupil_list"), {"flag": flag}).content.decode()
    assert _pupil_count(body) == 5  # everyone: membership of the flag does not show
    assert f'value="{flag}"' not in body
    for tag in FLAG_TAGS:
        assert f">{tag}</strong>" not in body
    partial = client.get(reverse("people:pupil_list"), {"flag": flag}, HTTP_HX_REQUEST="true")
    assert _pupil_count(partial.content.decode()) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("role", SEE_FLAGS)
def test_the_safeguarding_team_and_leaders_filter_on_flags(  # type: ignore[no-untyped-def]
    tenant_a, flagged, login_as, role
) -> None:
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    body = client.get(reverse("people:pupil_list"), {"flag": "cp"}).content.decode()
    assert _pupil_count(body) == 1
    assert "Cpchild" in body
    assert ">CP plan</strong>" in body
    assert '<option value="cp" selected>' in body


@pytest.mark.django_db
def test_the_selector_ignores_a_flag_the_actor_may_not_use(tenant_a, flagged) -> None:  # type: ignore[no-untyped-def]
    teacher = actor_for_user(make_staff(tenant_a.school, Role.TEACHER).user)
    dsl = actor_for_user(make_staff(tenant_a.school, Role.DSL).user)
    assert pupil_list(actor=teacher, school=tenant_a.school, flag="cp").count() == 5
    assert list(pupil_list(actor=dsl, school=tenant_a.school, flag="cp")) == [flagged["cp"]]
    # EHCP and SEN support stay open to teachers: they teach to them
    assert pupil_list(actor=teacher, school=tenant_a.school, flag="ehcp").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "sees"), [(Role.TEACHER, False), (Role.DSL, True)])
def test_pupil_page_shows_flags_to_those_who_need_to_know(  # type: ignore[no-untyped-def]
    tenant_a, flagged, login_as, role, sees
) -> None:
    client = login_as(tenant_a.school, role)
    body = client.get(reverse("people:pupil_detail", args=[flagged["cp"].pk])).content.decode()
    assert (">CP plan</strong>" in body) is sees


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "sees"), [(Role.TEACHER, False), (Role.SLT, True)])
def test_dashboard_tiles_on_flags_only_for_those_who_need_to_know(  # type: ignore[no-untyped-def]
    tenant_a, flagged, login_as, role, sees
) -> None:
    client = login_as(tenant_a.school, role)
    body = client.get(reverse("dashboard")).content.decode()
    for flag in ("vulnerable", "cp", "cin", "lac"):
        assert (f"?flag={flag}" in body) is sees
    assert "?flag=ehcp" in body
    actor = actor_for_user(make_staff(tenant_a.school, role).user)
    counts = school_counts(actor=actor, school=tenant_a.school)
    assert counts is not None
    assert counts.pupils == 5
    assert counts.child_protection == (1 if sees else None)
    assert counts.vulnerable == (1 if sees else None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.TEACHER, False),
        (Role.DSL, False),
        (Role.SLT, False),
        (Role.HEADTEACHER, True),
        (Role.SCHOOL_ADMIN, True),
        (Role.TRUST_ADMIN, True),
    ],
)
def test_dbs_dates_only_for_those_who_keep_staff_records(  # type: ignore[no-untyped-def]
    tenant_a, login_as, role, sees
) -> None:
    colleague = make_staff(tenant_a.school, Role.TEACHER, dbs_checked_on=dt.date(2023, 3, 14))
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    listing = client.get(reverse("people:staff_list")).content.decode()
    detail = client.get(reverse("people:staff_detail", args=[colleague.pk])).content.decode()
    assert ("14 Mar 2023" in listing) is sees
    assert ("DBS check" in listing) is sees
    assert ("14 March 2023" in detail) is sees


@pytest.mark.django_db
def test_dbs_date_of_someone_at_another_school_of_the_trust(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    """A head sees the DBS date of their own staff, not of staff who work only elsewhere."""
    both = make_staff(tenant_a.school, Role.COUNSELLOR, dbs_checked_on=dt.date(2022, 1, 5))
    both.assignments.create(school=tenant_a.other_school, role=Role.COUNSELLOR)
    client = login_as(tenant_a.other_school, Role.HEADTEACHER)
    detail = client.get(reverse("people:staff_detail", args=[both.pk])).content.decode()
    assert "5 January 2022" in detail


@pytest.mark.django_db
def test_pupil_list_views_are_audited_with_filters_and_page(tenant_a, flagged, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.DSL)
    client.get(reverse("people:pupil_list"), {"flag": "cp", "q": "child", "year": "4"})
    client.get(reverse("people:pupil_list"), {"page": "2"}, HTTP_HX_REQUEST="true")
    events = list(AuditEvent.objects.filter(action="pupil.list_viewed").order_by("seq"))
    assert [e.details for e in events] == [
        {"q": "child", "year": 4, "flag": "cp", "page": 1, "shown": 1},
        {"page": 1, "shown": 5},
    ]
    assert {e.school_id for e in events} == {tenant_a.school.pk}


@pytest.mark.django_db
def test_an_ignored_flag_is_not_recorded_as_used(tenant_a, flagged, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    client.get(reverse("people:pupil_list"), {"flag": "cp"})
    event = AuditEvent.objects.get(action="pupil.list_viewed")
    assert event.details == {"page": 1, "shown": 5}


@pytest.mark.django_db
def test_staff_list_views_are_audited(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    client.get(reverse("people:staff_list"), {"q": "Staff"})
    event = AuditEvent.objects.get(action="staff.list_viewed")
    assert event.details == {"q": "Staff", "page": 1, "shown": 1}
    assert event.school_id == tenant_a.school.pk
