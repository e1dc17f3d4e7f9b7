"""The rota built from the app's data, planned by the real planner, and stored: the hard rules
hold on what is stored, gaps are saved with the DSL's words, and a re-plan after an absence
moves only the families whose caller is away."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied

from chaperone.people.models import StaffMember
from chaperone.people.selectors import holders_at_school
from chaperone.tenancy.models import School
from chaperone.welfare.models import (
    CallerAvailability,
    CallLog,
    CallStatus,
    Outcome,
    PlannedCall,
    RunStatus,
    Tier,
    UnplacedContact,
)
from chaperone.welfare.need import WelfareProblem
from chaperone.welfare.planning import planner_input, rota_replan, rota_request
from tests.welfare.conftest import FRIDAY_WEEK_2, MONDAY, Closure, available

pytestmark = pytest.mark.django_db(transaction=False)


def _plan(  # type: ignore[no-untyped-def]
    closure: Closure,
    django_capture_on_commit_callbacks,
    *,
    by: StaffMember | None = None,
    schools: list[School] | None = None,
    first: dt.date = MONDAY,
    last: dt.date = FRIDAY_WEEK_2,
):
    """A rota asked for by ``by`` (the trust admin) for ``schools`` (both), planned."""
    with django_capture_on_commit_callbacks(execute=True):
        run = rota_request(
            actor=closure.actor(by or closure.admin),
            schools=schools or [closure.school, closure.other],
            first_day=first,
            last_day=last,
        )
    run.refresh_from_db()
    return run


def _qualified(closure: Closure) -> set[int]:
    ids: set[int] = set()
    for school in (closure.school, closure.other):
        ids |= set(
            holders_at_school(action="welfare.call_vulnerable", school_id=school.pk).values_list(
                "pk", flat=True
            )
        )
    return ids


def test_the_rota_plans_every_family_and_keeps_the_hard_rules(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    run = _plan(closure, django_capture_on_commit_callbacks)
    assert run.status in (RunStatus.PLANNED, RunStatus.GAPS), run.error
    calls = list(PlannedCall.objects.filter(run=run))
    assert calls
    qualified = _qualified(closure)
    # no vulnerable family to an unqualified caller (the teacher holds no such action)
    assert closure.teacher.pk not in qualified
    for call in calls:
        if call.tier != Tier.FORTNIGHTLY:
            assert call.staff_id in qualified, (call.household_id, call.staff_id)
    # nobody over capacity, a family at most once a day
    capacity = dict(CallerAvailability.objects.values_list("staff_id", "calls_per_day"))
    per_day = Counter((c.staff_id, c.day) for c in calls)
    assert all(n <= capacity[s] for (s, _), n in per_day.items())
    assert len({(c.household_id, c.day) for c in calls}) == len(calls)
    # the child protection family is called every day; siblings at two schools are one call
    cp_days = {c.day for c in calls if c.household_id == closure.families["cp"].pk}
    assert len(cp_days) == len(run.days) == 10
    sibling_calls = [c for c in calls if c.household_id == closure.families["siblings"].pk]
    assert len(sibling_calls) == 2  # weekly (the vulnerable sibling), over two weeks
    assert {c.tier for c in sibling_calls} == {Tier.WEEKLY}


def test_the_input_follows_the_contract(closure: Closure) -> None:
    from chaperone.welfare.models import RotaRun

    run = RotaRun.objects.create(
        trust=closure.trust, title="t", first_day=MONDAY, last_day=MONDAY, days=["2027-01-04"]
    )
    run.schools.set([closure.school, closure.other])
    data, warnings = planner_input(run)
    assert set(data) == {"days", "staff", "households"}
    sib = next(h for h in data["households"] if h["id"] == f"hh-{closure.families['siblings'].pk}")
    assert sorted(p["school"] for p in sib["pupils"]) == ["131001", "131002"]
    teacher = next(s for s in data["staff"] if s["id"] == f"st-{closure.teacher.pk}")
    assert teacher == {
        "id": f"st-{closure.teacher.pk}",
        "schools": ["131001"],
        "qualified": False,
        "calls_per_day": 4,
        "days": ["2027-01-04"],
    }
    assert warnings == []


def test_a_plan_that_cannot_be_completed_saves_what_was_placed(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # the only qualified caller of the first school can make one call a day
    CallerAvailability.objects.filter(staff=closure.sen).update(calls_per_day=1)
    run = _plan(closure, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.GAPS
    gaps = list(UnplacedContact.objects.filter(run=run))
    assert gaps and all(
        g.message and g.reason in {"NO_CAPACITY", "NO_ELIGIBLE_STAFF"} for g in gaps
    )
    assert PlannedCall.objects.filter(run=run).exists()
    assert run.stats["unplaced"] == sum(g.missing for g in gaps)


def test_the_key_adult_is_the_familys_previous_caller(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    CallLog.objects.create(
        household=closure.families["plain1"],
        caller=closure.sen,
        day=MONDAY,
        outcome=Outcome.PARENT_ONLY,
    )
    run = _plan(closure, django_capture_on_commit_callbacks)
    callers = set(
        PlannedCall.objects.filter(run=run, household=closure.families["plain1"]).values_list(
            "staff_id", flat=True
        )
    )
    assert callers == {closure.sen.pk}


def test_a_replan_moves_only_the_families_of_the_caller_away(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    make_more = available  # a second qualified caller at the first school to take over
    from chaperone.tenancy.roles import Role
    from tests.factories import make_staff

    deputy = make_staff(closure.school, Role.DEPUTY_DSL, first_name="Dee", last_name="Deputy")
    make_more(deputy, calls=6)
    run = _plan(closure, django_capture_on_commit_callbacks)
    before = {(c.household_id, c.day): c.staff_id for c in PlannedCall.objects.filter(run=run)}
    away = closure.sen
    affected = {h for (h, _), s in before.items() if s == away.pk}
    assert affected, "the SEN caller has families to lose"
    with django_capture_on_commit_callbacks(execute=True):
        new = rota_replan(
            actor=closure.actor(closure.admin), run=run, absent_staff=[away], from_day=MONDAY
        )
    new.refresh_from_db()
    assert new.status in (RunStatus.PLANNED, RunStatus.GAPS), new.error
    after = {(c.household_id, c.day): c.staff_id for c in PlannedCall.objects.filter(run=new)}
    assert away.pk not in after.values()
    unaffected = {k: v for k, v in before.items() if k[0] not in affected}
    assert {k: after.get(k) for k in unaffected} == unaffected
    run.refresh_from_db()
    assert run.status == RunStatus.REPLACED
    assert not PlannedCall.objects.filter(run=run, status=CallStatus.PLANNED).exists()


def test_bad_rota_dates_name_the_field(closure: Closure) -> None:
    actor = closure.actor(closure.dsl)
    with pytest.raises(WelfareProblem) as err:
        rota_request(
            actor=actor, schools=[closure.school], first_day=FRIDAY_WEEK_2, last_day=MONDAY
        )
    assert err.value.field == "last_day"
    saturday = MONDAY.replace(day=9)
    with pytest.raises(WelfareProblem) as err:
        rota_request(actor=actor, schools=[closure.school], first_day=saturday, last_day=saturday)
    assert err.value.field == "first_day"
    # the last date there is: a message, not an overflow (found by the random-input test)
    last = dt.date.max
    with pytest.raises(WelfareProblem) as err:
        rota_request(actor=actor, schools=[closure.school], first_day=last, last_day=last)
    assert err.value.field == "first_day"
    with pytest.raises(WelfareProblem) as err:
        rota_request(
            actor=actor, schools=[closure.school], first_day=MONDAY, last_day=dt.date(2029, 1, 1)
        )
    assert err.value.field == "last_day"


def test_only_the_dsl_plans(closure: Closure) -> None:
    with pytest.raises(PermissionDenied):
        rota_request(
            actor=closure.actor(closure.teacher),
            schools=[closure.school],
            first_day=MONDAY,
            last_day=FRIDAY_WEEK_2,
        )


def test_staff_with_no_school_are_left_out_with_a_warning(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import StaffFactory

    lost = StaffFactory(trust=closure.trust, first_name="Nora", last_name="Noschool")
    CallerAvailability.objects.create(staff=lost, calls_per_day=5, school_phone="1")
    run = _plan(closure, django_capture_on_commit_callbacks)
    assert run.warnings == ["Nora Noschool has no school, so was left out of the rota."]


def test_planning_twice_does_nothing_twice(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from chaperone.welfare.planning import rota_plan

    run = _plan(closure, django_capture_on_commit_callbacks)
    count = PlannedCall.objects.filter(run=run).count()
    rota_plan(run_id=run.pk)
    assert PlannedCall.objects.filter(run=run).count() == count


def test_only_staff_who_may_call_are_in_the_rota(closure: Closure) -> None:
    from chaperone.tenancy.roles import Role
    from chaperone.welfare.models import RotaRun
    from tests.factories import make_staff

    office = make_staff(closure.school, Role.SCHOOL_ADMIN, first_name="Olive", last_name="Office")
    available(office)
    run = RotaRun.objects.create(
        trust=closure.trust, title="t", first_day=MONDAY, last_day=MONDAY, days=["2027-01-04"]
    )
    run.schools.set([closure.school])
    data, _ = planner_input(run)
    assert f"st-{office.pk}" not in {s["id"] for s in data["staff"]}
    assert f"st-{closure.teacher.pk}" in {s["id"] for s in data["staff"]}


def test_a_schools_rota_leaves_siblings_to_the_other_schools_rota(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """Two DSLs plan separately: the family with children at both schools is called by the
    first rota, and the second leaves it out for the days the first covers (and says so)."""
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import verified_client
    from tests.factories import make_staff

    other_dsl = make_staff(closure.other, "dsl", first_name="Olga", last_name="Other")
    first = _plan(
        closure, django_capture_on_commit_callbacks, by=closure.dsl, schools=[closure.school]
    )
    siblings = closure.families["siblings"].pk
    assert PlannedCall.objects.filter(run=first, household_id=siblings).count() == 2
    # the second school plans the same fortnight: the siblings are left to the first rota
    second = _plan(
        closure, django_capture_on_commit_callbacks, by=other_dsl, schools=[closure.other]
    )
    assert second.status in (RunStatus.PLANNED, RunStatus.GAPS), second.error
    assert not PlannedCall.objects.filter(run=second, household_id=siblings).exists()
    assert not UnplacedContact.objects.filter(run=second, household_id=siblings).exists()
    assert any("1 family with children at Harbour Primary" in w for w in second.warnings)
    data, _ = planner_input(second)
    assert f"hh-{siblings}" not in {row["id"] for row in data["households"]}
    # a rota of the second school over a longer stretch plans the siblings on the other days
    longer = _plan(
        closure,
        django_capture_on_commit_callbacks,
        by=other_dsl,
        schools=[closure.other],
        last=FRIDAY_WEEK_2 + dt.timedelta(days=7),
    )
    data, _ = planner_input(longer)
    (row,) = [r for r in data["households"] if r["id"] == f"hh-{siblings}"]
    assert row["avoid_days"] == first.days
    # the rule is explained on the page where a rota is planned
    client: Client = verified_client(other_dsl)
    page = client.get(reverse("welfare:rotas")).content.decode()
    assert "called once, not once per school" in page


def test_a_trust_wide_rota_leaves_a_schools_families_to_the_schools_own_rota(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """The DSL of the first school plans its fortnight; the trust admin then plans both schools
    over the same days. The trust's rota shares a school with the first (it used to be ignored
    for that, so every family of the first school was called by both): now it calls none of
    the families the first rota calls, and says so."""
    school_rota = _plan(
        closure, django_capture_on_commit_callbacks, by=closure.dsl, schools=[closure.school]
    )
    called = set(PlannedCall.objects.filter(run=school_rota).values_list("household_id", flat=True))
    assert closure.families["cp"].pk in called
    trust_rota = _plan(closure, django_capture_on_commit_callbacks)
    assert trust_rota.status in (RunStatus.PLANNED, RunStatus.GAPS), trust_rota.error
    twice = called & set(
        PlannedCall.objects.filter(run=trust_rota).values_list("household_id", flat=True)
    )
    assert twice == set()
    assert not UnplacedContact.objects.filter(run=trust_rota, household_id__in=called).exists()
    assert any(
        f"{len(called)} families with children at Harbour Primary" in w and "altogether" in w
        for w in trust_rota.warnings
    ), trust_rota.warnings


def test_a_rota_overlapping_part_of_a_week_adds_no_second_weekly_call(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """The other school's rota covers Monday to Wednesday and calls the siblings (weekly) on one
    of those days; a rota from Monday to Friday leaves the siblings that whole week (it used to
    leave out only Monday to Wednesday, and so planned a second call on Thursday or Friday)."""
    from tests.factories import make_staff

    other_dsl = make_staff(closure.other, "dsl", first_name="Olga", last_name="Other")
    siblings = closure.families["siblings"].pk
    short = _plan(
        closure,
        django_capture_on_commit_callbacks,
        by=other_dsl,
        schools=[closure.other],
        last=MONDAY + dt.timedelta(days=2),
    )
    assert PlannedCall.objects.filter(run=short, household_id=siblings).count() == 1
    week = _plan(
        closure, django_capture_on_commit_callbacks, by=closure.dsl, schools=[closure.school]
    )
    days = list(
        PlannedCall.objects.filter(run=week, household_id=siblings).values_list("day", flat=True)
    )
    # one call in the second week, none in the first (the short rota's call covers it)
    assert len(days) == 1 and days[0] >= MONDAY + dt.timedelta(days=7), days
    data, _ = planner_input(week)
    (row,) = [r for r in data["households"] if r["id"] == f"hh-{siblings}"]
    assert row["avoid_days"] == week.days[:5]
