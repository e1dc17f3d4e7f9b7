"""Benchmark ``sessions``: the DSL timetable of a school with 2,000 sessions in one week.

    .venv/bin/python -m benchmarks.sessions [--sessions 2000] [--repeat 15] [--no-postgres]

In a throw-away database it seeds one school under ``npat-one-to-one``: 60 staff, 900 pupils
and ``--sessions`` sessions spread over one school week (one-to-ones, groups of 3 to 8 pupils
and phone calls, a few at odd hours or on personal accounts so that anomaly flags show). A
dozen sessions are planned through the real service (their steps and the protocol's decisions
are real); the rest are copies of them written in bulk with other hosts, pupils and times.
Then a DSL, signed in with a verified second factor, asks for the week's timetable through
Django's test client (the whole middleware stack and template), ``--repeat`` times after two
warm-up requests, and once for a week holding 20 sessions to compare the number of queries:

* ``sessions.timetable_2000_ms``     -- median wall time of one page (target < 300)
* ``sessions.timetable_2000_cpu_ms`` -- median CPU time of the process for one page
* ``sessions.timetable_queries``     -- queries for the 2,000-session week (baseline: the same
  page for 20 sessions; the ratio must be 1)

SQLite always; PostgreSQL too when it answers on 127.0.0.1:5432 (figures ``sessions.pg_*``).
Each backend runs in its own child process. JSON lines go to stdout, a table to stderr.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks._support import BACKENDS, emit, run_per_backend

SEED = 20261201
LONDON = ZoneInfo("Europe/London")


def _seed(sessions: int) -> tuple[Any, Any, date, date]:
    """The school, its DSL, the busy week's Monday and a quiet week's Monday."""
    from django.db import transaction

    from chaperone.people.actors import actor_for_user
    from chaperone.people.models import Household, Pupil, StaffAssignment, StaffMember, User
    from chaperone.people.upn import make_upn
    from chaperone.protocols.demo import template_source
    from chaperone.protocols.uploads import protocol_version_upload
    from chaperone.scheduling.models import Session, SessionDecision, SessionPupil, SessionStep
    from chaperone.scheduling.services import PlanData, session_plan
    from chaperone.tenancy.models import School, Trust
    from chaperone.tenancy.policies import SYSTEM

    rnd = random.Random(SEED)
    trust = Trust.objects.create(name="Bench Trust", slug="bench")
    school = School.objects.create(
        trust=trust, name="Bench Academy", urn="999002", phase="secondary", la_code="873"
    )
    protocol_version_upload(
        actor=SYSTEM, school=school, source_text=template_source("npat-one-to-one")
    )
    roles = ["teacher"] * 30 + ["tutor"] * 15 + ["head_of_year"] * 6 + ["counsellor"] * 4
    roles += ["sen_staff"] * 5
    staff: list[StaffMember] = []
    for n, role in enumerate(roles):
        user = User.objects.create_user(username=f"staff{n}", email=f"staff{n}@bench.example")
        member = StaffMember.objects.create(
            trust=trust,
            user=user,
            staff_ref=f"S{n:05d}",
            first_name=rnd.choice(["Ada", "Ben", "Cara", "Dev", "Ella", "Finn", "Gus"]),
            last_name=f"Staff{n}",
            email=user.email,
            dbs_checked_on=date(2025, 9, 1),
        )
        StaffAssignment.objects.create(staff=member, school=school, role=role)
        staff.append(member)
    dsl_user = User.objects.create_user(username="dsl", email="dsl@bench.example")
    dsl = StaffMember.objects.create(
        trust=trust,
        user=dsl_user,
        staff_ref="D00001",
        first_name="Dee",
        last_name="Lead",
        email=dsl_user.email,
        dbs_checked_on=date(2025, 9, 1),
    )
    StaffAssignment.objects.create(staff=dsl, school=school, role="dsl")
    households = Household.objects.bulk_create(
        Household(trust=trust, reference=f"F{n:05d}", name=f"Family {n}") for n in range(900)
    )
    pupils = Pupil.objects.bulk_create(
        Pupil(
            school=school,
            household=households[n],
            upn=make_upn("873", "2001", 20, n),
            first_name=rnd.choice(["Amy", "Bo", "Cal", "Di", "Eli", "Fay", "Gil", "Hal"]),
            last_name=f"Pupil{n}",
            date_of_birth=date(2012, 1 + n % 12, 1 + n % 28),
            year_group=7 + n % 5,
        )
        for n in range(900)
    )

    today = datetime.now(LONDON).date()
    busy = today - timedelta(days=today.weekday()) + timedelta(days=14)
    quiet = busy + timedelta(days=7)
    tutor = actor_for_user(staff[30].user)

    def plan(i: int, *, on: date, hour: int, kind: str) -> Session:
        group = kind == "group"
        data = PlanData(
            title=f"{'Year 9 maths' if group else 'Check-in'} {i}",
            kind=kind,
            purpose="teaching" if group else "pastoral",
            starts_at=datetime(on.year, on.month, on.day, hour, 15, tzinfo=LONDON),
            duration_minutes=30,
            platform="teams",
            host=staff[30],
            pupils=pupils[i * 8 : i * 8 + (6 if group else 1)],
            recording=not group,
            waiting_room=True,
            plan_outcome="" if group else "Attendance target in the pastoral plan.",
            dsl_invited=i % 2 == 0,
        )
        return session_plan(actor=tutor, school=school, data=data)

    kinds = ["one_to_one", "group", "phone_call"]
    templates = [plan(i, on=busy, hour=9 + i % 8, kind=kinds[i % 3]) for i in range(12)]
    for i in range(20):  # the quiet week: 20 sessions, for the query count
        plan(20 + i, on=quiet, hour=9 + i % 8, kind=kinds[i % 3])
    steps = {t.pk: list(SessionStep.objects.filter(session=t)) for t in templates}
    decision = {t.pk: t.decisions.get() for t in templates}

    copies: list[Session] = []
    members: list[list[Any]] = []
    for n in range(sessions - len(templates)):
        t = templates[n % len(templates)]
        day = busy + timedelta(days=rnd.randrange(5))
        hour = rnd.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19])
        start = datetime(day.year, day.month, day.day, hour, rnd.choice([0, 15, 30, 45]))
        copy = Session(
            **{
                f.attname: getattr(t, f.attname)
                for f in Session._meta.concrete_fields
                if f.attname not in ("id", "starts_at", "host_id", "title", "account")
            },
            title=f"{t.title.split(' ', 1)[0]} {n}",
            starts_at=start.replace(tzinfo=LONDON),
            host_id=staff[rnd.randrange(len(staff))].pk,
            account="personal" if rnd.random() < 0.02 else "school",
        )
        copies.append(copy)
        size = rnd.randrange(3, 9) if t.kind == "group" else 1
        # a few adults see the same pupil often: the repeated one-to-one flag
        first = rnd.randrange(40) if rnd.random() < 0.1 else rnd.randrange(len(pupils))
        members.append([t, [pupils[(first + k * 37) % len(pupils)] for k in range(size)]])
    with transaction.atomic():
        Session.objects.bulk_create(copies, batch_size=500)
        SessionPupil.objects.bulk_create(
            (
                SessionPupil(session=s, pupil=p)
                for s, (_, ps) in zip(copies, members, strict=True)
                for p in ps
            ),
            batch_size=1000,
        )
        SessionStep.objects.bulk_create(
            (
                SessionStep(
                    session=s,
                    kind=st.kind,
                    code=st.code,
                    remedy=st.remedy,
                    state=st.state,
                    order=st.order,
                    done_at=st.done_at,
                )
                for s, (t, _) in zip(copies, members, strict=True)
                for st in steps[t.pk]
            ),
            batch_size=1000,
        )
        SessionDecision.objects.bulk_create(
            (
                SessionDecision(session=s, decision_id=decision[t.pk].decision_id, reason="planned")
                for s, (t, _) in zip(copies, members, strict=True)
            ),
            batch_size=1000,
        )
    return school, dsl, busy, quiet


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from chaperone.scheduling.models import Session

    prefix = "sessions." if args.worker == "sqlite" else "sessions.pg_"
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    school, dsl, busy, quiet = _seed(args.sessions)
    seed_s = time.perf_counter() - t0
    tz = ZoneInfo(school.time_zone)
    begin = datetime(busy.year, busy.month, busy.day, tzinfo=tz)
    in_week = Session.objects.filter(
        school=school, starts_at__gte=begin, starts_at__lt=begin + timedelta(days=7)
    ).count()
    assert in_week == args.sessions, in_week

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(dsl.user)
    device = TOTPDevice.objects.create(user=dsl.user, name="bench", confirmed=True)
    http_session = client.session
    http_session["otp_device_id"] = device.persistent_id
    http_session.save()
    url = reverse("scheduling:timetable")

    def get(start: date) -> bytes:
        response = client.get(url, {"view": "week", "start": start.isoformat()})
        assert response.status_code == 200, response.status_code
        return response.content

    body = get(busy)
    get(busy)
    # the page is served by a process tuned as the server's are after start-up (wsgi.py)
    from chaperone.core.runtime import settle_after_start_up

    settle_after_start_up()
    assert f"{args.sessions:,} sessions".replace(",", "") in body.decode().replace(",", ""), (
        "the page does not count every session"
    )
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(args.repeat):
        w, c = time.perf_counter(), time.process_time()
        get(busy)
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(get, busy)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(40)
    with CaptureQueriesContext(connection) as many:
        get(busy)
    if args.profile:
        for q in many.captured_queries:
            print(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:150]}", file=sys.stderr)
    get(quiet)
    with CaptureQueriesContext(connection) as few:
        get(quiet)

    wall_ms = statistics.median(walls) * 1000
    cpu_ms = statistics.median(cpus) * 1000
    label = f"timetable_{args.sessions}" if args.sessions != 2000 else "timetable_2000"
    emit(f"{prefix}{label}_ms", wall_ms, "ms", "< 300", digits=1)
    emit(f"{prefix}{label}_cpu_ms", cpu_ms, "ms", None, digits=1)
    emit(
        f"{prefix}timetable_queries",
        len(many.captured_queries),
        "queries",
        "constant",
        baseline=len(few.captured_queries),
        digits=0,
    )
    print(
        f"{connection.vendor:<11} seeded {args.sessions:,} sessions in {seed_s:.1f}s | page "
        f"{len(body) / 1e6:.2f} MB | wall median {wall_ms:.0f} ms (min {min(walls) * 1000:.0f},"
        f" max {max(walls) * 1000:.0f}) | CPU median {cpu_ms:.0f} ms | queries "
        f"{len(many.captured_queries)} (20 sessions: {len(few.captured_queries)})",
        file=sys.stderr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a profile of one page")
    parser.add_argument("--worker", choices=BACKENDS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    passed = ["--sessions", str(args.sessions), "--repeat", str(args.repeat)]
    passed += ["--profile"] if args.profile else []
    return run_per_backend("benchmarks.sessions", passed, postgres=not args.no_postgres)


if __name__ == "__main__":
    sys.exit(main())
