"""The dashboard's figures are exact: after a mix of concerns raised, acknowledged, closed and
corrected (category, pupils), every figure equals a count made directly from the concerns; and
the pupil links' copies of their concern (school, route, time) that the repeated-concerns
figure reads are written by every service and mended by ``chaperone concerns
repair-dashboard``."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management import call_command
from django.utils import timezone

from chaperone.concerns import reports, services
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import Concern, ConcernPupil, ConcernStatus, PupilRole
from tests.factories import PupilFactory


def _direct(cast, today: dt.date):  # type: ignore[no-untyped-def]
    """The figures, counted in Python from every concern of the school about a child."""
    end = reports._start(today + dt.timedelta(days=1))
    open_ = [
        c
        for c in Concern.objects.filter(school=cast.school, route="safeguarding")
        if c.status != ConcernStatus.CLOSED
    ]
    by_code: dict[str, list[int]] = {}
    urgent: Counter[str] = Counter()
    for c in open_:
        code = c.category.code if c.category else ""
        bands = by_code.setdefault(code, [0] * len(reports.AGE_BANDS))
        age = (end - c.raised_at).days
        for n, (_k, _l, lo, hi) in enumerate(reports.AGE_BANDS):
            if age >= lo and (hi is None or age < hi):
                bands[n] += 1
        urgent[code] += c.urgency == "urgent"
    since = reports._start(today) - dt.timedelta(days=reports.REPEATED_WITHIN_DAYS)
    per_pupil: Counter[int] = Counter()
    for c in Concern.objects.filter(school=cast.school, route="safeguarding", raised_at__gte=since):
        for link in c.pupil_links.all():
            per_pupil[link.pupil_id] += 1
    repeated = {p: n for p, n in per_pupil.items() if n >= reports.REPEATED_AT}
    urgent_new = sum(1 for c in open_ if c.urgency == "urgent" and c.status == "new")
    return by_code, dict(urgent), repeated, urgent_new, len(open_)


def _board(cast, today: dt.date):  # type: ignore[no-untyped-def]
    board = reports.dashboard(actor=cast.actor(cast.dsl), school_ids=[cast.school.pk], today=today)
    by_code = {r.code: r.bands for r in board.by_category}
    urgent = {r.code: r.urgent for r in board.by_category}
    repeated = {r["pupil_id"]: r["n"] for r in board.repeated}
    return by_code, urgent, repeated, board.urgent_new, board.open_total


def _same(board, direct) -> None:  # type: ignore[no-untyped-def]
    by_code, urgent, repeated, urgent_new, total = direct
    assert board[0] == {k: v for k, v in by_code.items() if sum(v)}
    assert board[1] == {k: v for k, v in urgent.items() if k in board[0]}
    assert board[2] == repeated
    assert board[3] == urgent_new and board[4] == total


def test_the_figures_equal_a_direct_count_after_a_mix_of_writes(cast) -> None:  # type: ignore[no-untyped-def]
    cats = {c.code: c for c in categories_for(cast.school)}
    team, teacher = cast.actor(cast.dsl), cast.actor(cast.teacher)
    third = PupilFactory(school=cast.school, first_name="Ada", last_name="Lark")
    made = []
    for n in range(14):
        made.append(
            services.concern_raise(
                actor=teacher,
                school=cast.school,
                pupils_with_roles=[([cast.pupil, cast.pupil2, third][n % 3], PupilRole.SUBJECT)],
                summary=f"Something seen, number {n}.",
                category=[cats["neglect"], cats["online_safety"], None][n % 3],
                urgency="urgent" if n % 4 == 0 else "routine",
            )
        )
    # a concern about an adult is not the team's and is in no figure
    services.concern_raise(
        actor=teacher,
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.WITNESS)],
        summary="A member of staff shouted at a pupil.",
        about_staff=cast.tutor,
    )
    for c in made[:3]:
        services.concern_acknowledge(actor=team, concern=c)
    for c in made[3:6]:
        services.concern_close(actor=team, concern=c, rationale="Spoken to the family; resolved.")
    services.concern_correct(
        actor=team, concern=made[6], field="category", reason="Wrong one.", category=cats["neglect"]
    )
    services.concern_correct(
        actor=team,
        concern=made[7],
        field="pupils",
        reason="It was about Ada, with Pip as a witness.",
        pupils_with_roles=[(third, PupilRole.SUBJECT), (cast.pupil, PupilRole.WITNESS)],
    )
    today = timezone.localdate()
    assert ConcernPupil.objects.filter(route="safeguarding").count() == 15
    _same(_board(cast, today), _direct(cast, today))
    # the same figures 40 days on: other bands
    later = today + dt.timedelta(days=40)
    _same(_board(cast, later), _direct(cast, later))


def test_a_hand_made_change_of_time_is_mended_by_the_repair_command(cast, capsys) -> None:  # type: ignore[no-untyped-def]
    teacher = cast.actor(cast.teacher)
    for n in range(4):
        services.concern_raise(
            actor=teacher,
            school=cast.school,
            pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
            summary=f"Seen again, number {n}.",
        )
    today = timezone.localdate()
    assert _board(cast, today)[2] == {cast.pupil.pk: 4}
    # two of them moved back by hand in the database, past the year
    old = timezone.now() - dt.timedelta(days=500)
    Concern.objects.filter(pk__in=list(Concern.objects.values_list("pk", flat=True)[:2])).update(
        raised_at=old
    )
    call_command("concerns", "repair-dashboard")
    assert "2 pupil links mended." in capsys.readouterr().out
    assert _board(cast, today)[2] == {} == _direct(cast, today)[2]
    call_command("concerns", "repair-dashboard")
    assert "0 pupil links mended." in capsys.readouterr().out


def test_the_dashboards_covering_indexes_survive_the_migrations(db) -> None:  # type: ignore[no-untyped-def]
    # on SQLite a migration that rebuilds the concerns table drops indexes made outside the
    # model state: each such migration makes them again
    from django.db import connection

    from chaperone.concerns.migrations._dashboard_indexes import INDEXES

    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, "concerns_concern"))
        links = set(connection.introspection.get_constraints(cursor, "concerns_concernpupil"))
    assert set(INDEXES) <= names
    assert "concerns_repeated_idx" in links
