"""The DSL's and the trust's figures: open concerns by category and age, the weekly trend,
overdue actions, pupils with repeated concerns, and what higher apps add through the extension
point below (sessions ended early, welfare calls where contact failed); the drill-down lists
behind each figure; the termly governors' report (counts only, no names).

Every figure is an aggregate query over the concerns the reader may see (indexed on
``school``/``status``/``raised_at`` and, for actions, ``status``/``due_on``): the dashboard
runs the same number of queries for ten concerns as for fifty thousand.

The extension point: an app above ``concerns`` puts a module ``<app>/concern_reports.py`` with
``FIGURES``, a list of :class:`ReportFigure`. ``count`` answers one number for the reader, the
schools and the period; ``rows`` the drill-down list. ``scheduling`` adds sessions ended early;
``welfare`` adds calls with failed contact (``key="welfare_failed_contact"``) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from chaperone.concerns.models import (
    ActionStatus,
    Concern,
    ConcernAction,
    ConcernCategory,
    ConcernPupil,
    ConcernQuerySet,
    ConcernRoute,
    ConcernStatus,
    Urgency,
)
from chaperone.concerns.selectors import concerns_visible
from chaperone.core.extensions import declared
from chaperone.tenancy.policies import Actor

#: age bands of open concerns: (key, label, from days, to days (None: no end))
AGE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("week", "Under a week", 0, 7),
    ("month", "1 to 4 weeks", 7, 28),
    ("quarter", "1 to 3 months", 28, 91),
    ("older", "Over 3 months", 91, None),
)
TREND_WEEKS = 12
#: a pupil with this many concerns in the last year shows in "repeated concerns"
REPEATED_AT = 3
REPEATED_WITHIN_DAYS = 365
FIGURE_DAYS = 30


@dataclass(frozen=True)
class ReportRow:
    at: dt.datetime | dt.date | None
    title: str
    detail: str = ""
    url: str = ""


@dataclass(frozen=True)
class ReportFigure:
    """A figure a higher app adds to the dashboard (see the module's note)."""

    key: str
    label: str
    count: Callable[[Actor, Sequence[int], dt.datetime], int]
    rows: Callable[[Actor, Sequence[int], dt.datetime], list[ReportRow]]
    order: int = 100


def figures() -> list[ReportFigure]:
    return sorted(declared("concern_reports", "FIGURES", ReportFigure), key=lambda f: f.order)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    start: dt.date


@dataclass(frozen=True)
class Chart:
    """A bar chart drawn on the server as SVG; ``bars`` also fill its data table."""

    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    top: int
    ticks: tuple[tuple[float, int], ...]


@dataclass
class CategoryRow:
    code: str
    name: str
    bands: list[int]
    total: int
    urgent: int

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(band[0], n) for band, n in zip(AGE_BANDS, self.bands, strict=True)]


@dataclass
class Dashboard:
    school_ids: list[int]
    today: dt.date
    open_total: int
    urgent_new: int
    raised_this_term: int
    by_category: list[CategoryRow]
    band_totals: list[int]
    trend: Chart
    overdue_actions: int
    repeated: list[Any]
    extra: list[tuple[ReportFigure, int]] = field(default_factory=list)
    bands: tuple[tuple[str, str, int, int | None], ...] = AGE_BANDS


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _visible(actor: Actor, school_ids: Sequence[int]) -> ConcernQuerySet:
    # only concerns about children: concerns about adults stay out of the team's figures
    ids = list(school_ids)
    if actor.is_system or set(ids) <= actor.school_ids_for("concern.view"):
        # the team of every school asked for: the same rows as concerns_visible, without its
        # OR of the raiser's own (which keeps the database off the school/raised_at index)
        team = Concern.objects.filter(school_id__in=ids, route=ConcernRoute.SAFEGUARDING)
        if actor.staff_id is not None:
            team = team.exclude(about_staff_id=actor.staff_id)
        return team
    return concerns_visible(actor=actor).filter(school_id__in=ids, route=ConcernRoute.SAFEGUARDING)


def _band(today: dt.date, key: str) -> Q:
    """Concerns whose age in days (0: raised today) is in the band."""
    end = _start(today + dt.timedelta(days=1))
    for k, _label, lo, hi in AGE_BANDS:
        if k == key:
            q = Q(raised_at__lt=end - dt.timedelta(days=lo))
            if hi is not None:
                q &= Q(raised_at__gte=end - dt.timedelta(days=hi))
            return q
    raise KeyError(key)


def _through_concern(qs: Any, actor: Actor, school_ids: Sequence[int]) -> Any:
    """Rows of a model with a ``concern`` key, limited to the concerns :func:`_visible` gives,
    as a join (``concern__...``) where the team reads every school, else an IN subquery."""
    ids = list(school_ids)
    if actor.is_system or set(ids) <= actor.school_ids_for("concern.view"):
        qs = qs.filter(concern__school_id__in=ids, concern__route=ConcernRoute.SAFEGUARDING)
        if actor.staff_id is not None:
            qs = qs.exclude(concern__about_staff_id=actor.staff_id)
        return qs
    return qs.filter(concern__in=_visible(actor, ids))


def _repeated(
    actor: Actor, school_ids: Sequence[int], now: dt.datetime, limit: int
) -> list[dict[str, Any]]:
    """Pupils with REPEATED_AT or more concerns in the last year, most first: one grouped query
    on pupil ids, then the names of those shown."""
    since = now - dt.timedelta(days=REPEATED_WITHIN_DAYS)
    ids = list(school_ids)
    links = ConcernPupil.objects.filter(raised_at__gte=since)
    if actor.is_system or set(ids) <= actor.school_ids_for("concern.view"):
        # the links' own copies of school, route and raised_at: one range of one index, no
        # join (a concern for the team names no member of staff: the model's constraint)
        links = links.filter(school_id__in=ids, route=ConcernRoute.SAFEGUARDING)
    else:
        links = links.filter(concern__in=_visible(actor, ids))
    counted = list(
        links.order_by()
        .values("pupil_id")
        .annotate(n=Count("concern_id"))
        .filter(n__gte=REPEATED_AT)
        .order_by("-n", "pupil_id")[:limit]
    )
    from chaperone.people.models import Pupil

    names: dict[int, Any] = {
        p["pk"]: p
        for p in Pupil.objects.filter(pk__in=[r["pupil_id"] for r in counted]).values(
            "pk", "first_name", "last_name", "preferred_name"
        )
    }
    return [
        {
            "pupil_id": r["pupil_id"],
            "n": r["n"],
            "pupil__first_name": names.get(r["pupil_id"], {}).get("first_name", ""),
            "pupil__last_name": names.get(r["pupil_id"], {}).get("last_name", ""),
            "pupil__preferred_name": names.get(r["pupil_id"], {}).get("preferred_name", ""),
        }
        for r in counted
    ]


def term_start(today: dt.date) -> dt.date:
    """The first day of the school term ``today`` is in (1 September, 1 January, Easter term
    from 15 April: near enough for the figures; a school's own dates are not stored)."""
    if today.month >= 9:
        return dt.date(today.year, 9, 1)
    if today.month < 4 or (today.month == 4 and today.day < 15):
        return dt.date(today.year, 1, 1)
    return dt.date(today.year, 4, 15)


def _trend(
    actor: Actor, school_ids: Sequence[int], today: dt.date
) -> tuple[list[tuple[dt.date, int]], dict[str, int]]:
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday - dt.timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    counts = {
        f"w{n}": Count(
            "id",
            filter=Q(
                raised_at__gte=_start(week), raised_at__lt=_start(week + dt.timedelta(days=7))
            ),
        )
        for n, week in enumerate(weeks)
    }
    term = term_start(today)
    counts["term"] = Count("id", filter=Q(raised_at__gte=_start(term)))
    since = min(_start(weeks[0]), _start(term))
    qs = _visible(actor, school_ids).filter(raised_at__gte=since)
    got = qs.aggregate(**counts)
    return [(week, got[f"w{n}"] or 0) for n, week in enumerate(weeks)], got


def chart(title: str, points: Sequence[tuple[dt.date, int]]) -> Chart:
    width, height, left, bottom, top_pad = 640, 220, 40, 30, 10
    top = max([v for _, v in points] + [1])
    # a round top of the scale: 5, 10, 20, 50, 100, 200...
    scale_top = 5
    while scale_top < top:
        scale_top = scale_top * 5 // 2 if str(scale_top)[0] == "2" else scale_top * 2
    plot_w = width - left - 10
    plot_h = height - bottom - top_pad
    slot = plot_w / max(len(points), 1)
    bars = []
    for n, (start, value) in enumerate(points):
        h = plot_h * value / scale_top
        bars.append(
            Bar(
                label=f"{start.day} {start:%b}",
                value=value,
                x=round(left + n * slot + slot * 0.15, 1),
                y=round(top_pad + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                start=start,
            )
        )
    ticks = tuple(
        (round(top_pad + plot_h - plot_h * t / scale_top, 1), t)
        for t in sorted({0, scale_top // 2, scale_top})
    )
    return Chart(title, tuple(bars), width, height, scale_top, ticks)


def dashboard(
    *, actor: Actor, school_ids: Sequence[int], today: dt.date | None = None
) -> Dashboard:
    """The figures for the reader over the schools (a school's DSL: their school; the trust:
    every school they see). A fixed number of queries whatever the number of concerns."""
    today = today or timezone.localdate()
    now = _start(today)
    visible = _visible(actor, school_ids)
    # status IN (new, acknowledged) rather than "not closed": the (school, status, urgency) index
    open_ = visible.filter(status__in=[ConcernStatus.NEW, ConcernStatus.ACKNOWLEDGED])
    categories = list(
        ConcernCategory.objects.filter(school_id__in=list(school_ids)).order_by("order", "name")
    )
    # one GROUP BY over the open concerns (read from the covering dashboard index): a row per
    # category, urgency, status and age band (a trust's schools share codes: merged below)
    code_of = {c.pk: (c.code, c.name) for c in categories}
    end = _start(today + dt.timedelta(days=1))
    band_of = Case(
        When(raised_at__gte=end, then=Value(-1)),  # not yet: in the totals, in no band
        *[
            When(raised_at__gte=end - dt.timedelta(days=hi), then=Value(n))
            for n, (_key, _label, _lo, hi) in enumerate(AGE_BANDS)
            if hi is not None
        ],
        default=Value(len(AGE_BANDS) - 1),
        output_field=IntegerField(),
    )
    grouped = (
        open_.order_by()
        .annotate(band=band_of)
        .values("category_id", "urgency", "status", "band")
        .annotate(n=Count("id"))
    )
    merged: dict[str, CategoryRow] = {}
    urgent_new = 0
    for g in grouped:
        if g["category_id"] is None:
            code, name = "", "No category"
        elif g["category_id"] in code_of:
            code, name = code_of[g["category_id"]]
        else:
            continue
        row = merged.setdefault(code, CategoryRow(code, name, [0] * len(AGE_BANDS), 0, 0))
        n = g["n"]
        row.total += n
        if g["band"] >= 0:
            row.bands[g["band"]] += n
        if g["urgency"] == Urgency.URGENT:
            row.urgent += n
            if g["status"] == ConcernStatus.NEW:
                urgent_new += n
    by_category = sorted(merged.values(), key=lambda r: (-r.total, r.name))
    band_totals = [sum(r.bands[n] for r in by_category) for n in range(len(AGE_BANDS))]
    points, got = _trend(actor, school_ids, today)
    overdue = (
        _through_concern(ConcernAction.objects.all(), actor, school_ids)
        .filter(status=ActionStatus.OPEN, due_on__lt=today)
        .count()
    )
    repeated = _repeated(actor, school_ids, now, 20)
    since = now - dt.timedelta(days=FIGURE_DAYS)
    extra = [(f, f.count(actor, school_ids, since)) for f in figures()]
    return Dashboard(
        school_ids=list(school_ids),
        today=today,
        open_total=sum(r.total for r in by_category),
        urgent_new=urgent_new,
        raised_this_term=got["term"] or 0,
        by_category=by_category,
        band_totals=band_totals,
        trend=chart("Concerns raised each week", points),
        overdue_actions=overdue,
        repeated=repeated,
        extra=extra,
    )


# --- drill-down ---------------------------------------------------------------------------------

LISTS = {
    "open": "Open concerns",
    "overdue": "Overdue actions",
    "repeated": "Pupils with repeated concerns",
    "week": "Concerns raised in the week",
}


def drill_down(
    *,
    actor: Actor,
    school_ids: Sequence[int],
    what: str,
    category: str = "",
    band: str = "",
    week: dt.date | None = None,
    today: dt.date | None = None,
    limit: int = 500,
) -> tuple[str, list[ReportRow]] | None:
    """The list behind a figure (None: no such list)."""
    from django.urls import reverse

    today = today or timezone.localdate()
    now = _start(today)
    visible = _visible(actor, school_ids)

    def concern_rows(qs: ConcernQuerySet) -> list[ReportRow]:
        found = (
            qs.select_related("category")
            .prefetch_related("pupil_links__pupil")
            .order_by("raised_at", "id")[:limit]
        )
        return [
            ReportRow(
                c.raised_at,
                ", ".join(link.pupil.display_name for link in c.pupil_links.all()) or "—",
                f"{c.category.name if c.category else 'No category'}; "
                f"{c.get_status_display().lower()}{'; urgent' if c.is_urgent else ''}",
                reverse("concerns:detail", args=[c.pk]),
            )
            for c in found
        ]

    if what == "open":
        qs = visible.filter(status__in=[ConcernStatus.NEW, ConcernStatus.ACKNOWLEDGED])
        title = LISTS["open"]
        if category == "-":
            qs = qs.filter(category__isnull=True)
            title += ": no category"
        elif category:
            qs = qs.filter(category__code=category)
            title += f": {category.replace('_', ' ')}"
        for key, label, *_rest in AGE_BANDS:
            if band == key:
                qs = qs.filter(_band(today, key))
                title += f" ({label.lower()})"
        return title, concern_rows(qs)
    if what == "week" and week is not None:
        monday = week - dt.timedelta(days=week.weekday())
        qs = visible.filter(
            raised_at__gte=_start(monday), raised_at__lt=_start(monday + dt.timedelta(days=7))
        )
        return f"Concerns raised in the week of {monday.day} {monday:%B %Y}", concern_rows(qs)
    if what == "overdue":
        actions = (
            _through_concern(ConcernAction.objects.all(), actor, school_ids)
            .filter(status=ActionStatus.OPEN, due_on__lt=today)
            .select_related("owner")
            .order_by("due_on", "id")[:limit]
        )
        return LISTS["overdue"], [
            ReportRow(
                a.due_on,
                f"{a.get_kind_display()} ({a.owner.full_name})",
                f"due {a.due_on:%d %B %Y}, {(today - a.due_on).days} days ago",
                reverse("concerns:detail", args=[a.concern_id]),
            )
            for a in actions
        ]
    if what == "repeated":
        rows = _repeated(actor, school_ids, now, limit)
        return LISTS["repeated"], [
            ReportRow(
                None,
                f"{r['pupil__preferred_name'] or r['pupil__first_name']} {r['pupil__last_name']}",
                f"{r['n']} concerns in the last year",
                reverse("concerns:chronology", args=[r["pupil_id"]]),
            )
            for r in rows
        ]
    for figure in figures():
        if figure.key == what:
            since = now - dt.timedelta(days=FIGURE_DAYS)
            return figure.label, figure.rows(actor, school_ids, since)
    return None


# --- the governors' report ----------------------------------------------------------------------


@dataclass
class GovernorsReport:
    school_names: list[str]
    term_from: dt.date
    term_to: dt.date
    raised: int
    urgent: int
    closed: int
    open_at_end: int
    by_category: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    actions: dict[str, int]
    about_adults: int
    low_level: int
    extra: list[tuple[str, int]]
    #: fewer than this many in a row shows as "fewer than 5": small numbers can name a child
    suppress_below: int = 5


def governors_report(
    *, actor: Actor, school_ids: Sequence[int], term_from: dt.date, term_to: dt.date
) -> GovernorsReport:
    """The term's counts for the governing board: no names, no details, and the smallest
    numbers shown as "fewer than 5". Concerns about adults are counted (not described) from
    every concern of the schools: the board must know how many there were."""
    from chaperone.concerns.models import ConcernSource
    from chaperone.tenancy.models import School

    begin, end = _start(term_from), _start(term_to + dt.timedelta(days=1))
    in_term = Q(raised_at__gte=begin, raised_at__lt=end)
    visible = _visible(actor, school_ids)
    got = visible.aggregate(
        raised=Count("id", filter=in_term),
        urgent=Count("id", filter=in_term & Q(urgency=Urgency.URGENT)),
        closed=Count("id", filter=Q(closed_at__gte=begin, closed_at__lt=end)),
        open_at_end=Count(
            "id", filter=Q(raised_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        ),
    )
    cats = (
        visible.filter(in_term)
        .order_by()
        .values("category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "category__name")
    )
    sources = dict(visible.filter(in_term).order_by().values_list("source").annotate(n=Count("id")))
    actions = ConcernAction.objects.filter(
        concern__in=visible, created_at__gte=begin, created_at__lt=end
    ).aggregate(
        added=Count("id"),
        referrals=Count("id", filter=Q(kind="refer_social_care")),
        early_help=Count("id", filter=Q(kind="early_help")),
        police=Count("id", filter=Q(kind="police")),
        done=Count("id", filter=Q(status=ActionStatus.DONE)),
    )
    adults = Concern.objects.filter(
        in_term, school_id__in=list(school_ids), route__in=["headteacher", "chair"]
    ).aggregate(
        all=Count("id"),
        low=Count("id", filter=Q(allegation__level="low_level")),
    )
    extra = [(f.label, f.count(actor, school_ids, begin)) for f in figures()]
    return GovernorsReport(
        school_names=list(
            School.objects.filter(pk__in=list(school_ids))
            .order_by("name")
            .values_list("name", flat=True)
        ),
        term_from=term_from,
        term_to=term_to,
        raised=got["raised"],
        urgent=got["urgent"],
        closed=got["closed"],
        open_at_end=got["open_at_end"],
        by_category=[(r["category__name"] or "No category", r["n"]) for r in cats],
        by_source=[(ConcernSource(k).label, v) for k, v in sorted(sources.items())],
        actions=actions,
        about_adults=adults["all"],
        low_level=adults["low"],
        extra=extra,
    )


def render_governors_pdf(report: GovernorsReport) -> bytes:
    from chaperone.concerns.pdf import render

    return render("concerns/governors_pdf.html", {"report": report})


# --- repair -------------------------------------------------------------------------------------


def link_copies_repair() -> int:
    """Put back, on every pupil link whose copies differ, its concern's school, route and
    raised_at (they never change through the services; a hand-made change to a concern's time
    in the database would leave the repeated-concerns figure behind). Answers how many links
    were mended. ``chaperone concerns repair-dashboard`` runs it."""
    from django.db import transaction
    from django.db.models import F

    with transaction.atomic():
        stale = ConcernPupil.objects.exclude(
            school_id=F("concern__school_id"),
            route=F("concern__route"),
            raised_at=F("concern__raised_at"),
        )
        ids = list(stale.values_list("pk", flat=True))
        links = list(ConcernPupil.objects.filter(pk__in=ids).select_related("concern"))
        for link in links:
            link.copy_from_concern()
        ConcernPupil.objects.bulk_update(links, ["school", "route", "raised_at"], batch_size=500)
    return len(links)
