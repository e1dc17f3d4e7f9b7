"""Each child's chronology: one timeline of their concerns, the actions and decisions taken on
them, the significant events the DSL adds (:class:`~.models.ChronologyEvent`), the child
protection files that came from a previous school, and what higher apps add through the
extension point below (the sessions the pupil was in, their welfare calls).

The extension point: an app above ``concerns`` puts a module ``<app>/concern_chronology.py``
with ``CHRONOLOGY``, a list of :class:`ChronologySource`. Each source's ``items`` is called
with the reader (an :class:`~chaperone.tenancy.policies.Actor`), the pupil and the date range,
and answers :class:`ChronologyItem` entries the reader may see. ``concerns`` never imports the
higher app: ``scheduling`` registers the pupil's sessions (state, outcome, ended early), and
``welfare`` registers its calls the same way (kind ``welfare_call``).

Every build of a chronology is a read of a child's safeguarding record, recorded through
:func:`chronology_for_viewing` (``concern.chronology_viewed``, with the concerns it showed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.concerns.models import (
    ChronologyEvent,
    Concern,
    ConcernAction,
    ConcernEntry,
    EntryKind,
    ReceivedFile,
)
from chaperone.concerns.selectors import concerns_visible
from chaperone.core.extensions import declared
from chaperone.people.models import Pupil
from chaperone.tenancy.policies import Actor

#: the kinds of item a chronology holds, in the order the filter lists them
KINDS: dict[str, str] = {
    "concern": "Concerns",
    "action": "Actions",
    "decision": "Decisions and outcomes",
    "event": "Significant events",
    "session": "Sessions",
    "welfare_call": "Welfare calls",
    "received": "Files from a previous school",
}

#: which concern entries show on the chronology (the rest are the concern's own bookkeeping)
_DECISIONS = {
    EntryKind.DECISION_NOT_TO_REFER: "Decision not to refer",
    EntryKind.OUTCOME: "Outcome",
    EntryKind.CLOSED: "Closed",
    EntryKind.LADO: "LADO consultation or referral",
    EntryKind.CORRECTION: "Correction",
}


@dataclass(frozen=True)
class ChronologyItem:
    at: dt.datetime
    kind: str
    title: str
    text: str = ""
    #: the concern category's code (concerns and what was done about them), for the filter
    category: str = ""
    category_name: str = ""
    url: str = ""
    #: a short note shown with the item (e.g. "ended early", "urgent")
    flags: tuple[str, ...] = ()
    concern_id: int | None = None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


ItemsFn = Callable[[Actor, Pupil, dt.date | None, dt.date | None], Iterable[ChronologyItem]]


@dataclass(frozen=True)
class ChronologySource:
    """What a higher app adds to a child's chronology (see the module's note)."""

    kind: str
    label: str
    items: ItemsFn


def sources() -> list[ChronologySource]:
    return declared("concern_chronology", "CHRONOLOGY", ChronologySource)


@dataclass(frozen=True)
class Filters:
    category: str = ""
    kinds: frozenset[str] = frozenset()
    since: dt.date | None = None
    until: dt.date | None = None

    def keeps(self, item: ChronologyItem) -> bool:
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.category and item.category != self.category:
            return False
        day = timezone.localtime(item.at).date() if timezone.is_aware(item.at) else item.at.date()
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)


@dataclass
class Chronology:
    pupil: Pupil
    items: list[ChronologyItem]
    siblings: list[Pupil] = field(default_factory=list)
    concern_ids: list[int] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _range_q(field_name: str, since: dt.date | None, until: dt.date | None) -> Q:
    q = Q()
    if since:
        q &= Q(**{f"{field_name}__gte": _start(since)})
    if until:
        q &= Q(**{f"{field_name}__lt": _start(until + dt.timedelta(days=1))})
    return q


def _concern_items(
    actor: Actor, pupil: Pupil, since: dt.date | None, until: dt.date | None
) -> tuple[list[ChronologyItem], list[int], dict[str, str]]:
    concerns = list(
        concerns_visible(actor=actor)
        .filter(pupil_links__pupil=pupil)
        .select_related("category", "raised_by")
        .distinct()
    )
    by_id = {c.pk: c for c in concerns}
    categories: dict[str, str] = {}
    items: list[ChronologyItem] = []
    roles = dict(
        pupil.concern_links.filter(concern_id__in=list(by_id)).values_list("concern_id", "role")
    )
    for c in concerns:
        code = c.category.code if c.category else ""
        name = c.category.name if c.category else ""
        if code:
            categories[code] = name
        flags: list[str] = []
        if c.is_urgent:
            flags.append("urgent")
        if roles.get(c.pk) and roles[c.pk] != "subject":
            flags.append(str(roles[c.pk]).replace("_", " "))
        if c.is_imported:
            flags.append("from the previous school")
        else:
            flags.append(c.get_status_display().lower())
        where = f" at {c.source_label}" if c.is_imported else ""
        name = name or (c.source_details.get("category", "") if c.is_imported else "")
        items.append(
            ChronologyItem(
                at=c.happened_at,
                kind="concern",
                title=f"Concern{where}: {name or 'no category'}",
                text=c.summary,
                category=code,
                category_name=name,
                url=reverse("concerns:detail", args=[c.pk]),
                flags=tuple(flags),
                concern_id=c.pk,
            )
        )
    actions = ConcernAction.objects.filter(concern_id__in=list(by_id)).select_related("owner")
    for a in actions:
        c = by_id[a.concern_id]
        code = c.category.code if c.category else ""
        when = a.completed_at or a.created_at
        state = a.get_status_display().lower()
        text = a.notes + (f"\nOutcome: {a.outcome}" if a.outcome else "")
        items.append(
            ChronologyItem(
                at=when,
                kind="action",
                title=f"Action: {a.get_kind_display()} ({a.owner.full_name}, due "
                f"{a.due_on:%d %b %Y})",
                text=text.strip(),
                category=code,
                category_name=c.category.name if c.category else "",
                url=reverse("concerns:detail", args=[c.pk]),
                flags=(state,),
                concern_id=c.pk,
            )
        )
    entries = ConcernEntry.objects.filter(
        concern_id__in=list(by_id), kind__in=list(_DECISIONS)
    ).select_related("by")
    for e in entries:
        c = by_id[e.concern_id]
        items.append(
            ChronologyItem(
                at=e.at,
                kind="decision",
                title=f"{_DECISIONS[EntryKind(e.kind)]}"
                + (f" by {e.by.full_name}" if e.by else ""),
                text=e.text,
                category=c.category.code if c.category else "",
                category_name=c.category.name if c.category else "",
                url=reverse("concerns:detail", args=[c.pk]),
                concern_id=c.pk,
            )
        )
    window = Filters(since=since, until=until)
    return [i for i in items if window.keeps(i)], list(by_id), categories


def _event_items(
    pupil: Pupil, since: dt.date | None, until: dt.date | None
) -> list[ChronologyItem]:
    events = ChronologyEvent.objects.filter(pupil=pupil).select_related("recorded_by")
    if since:
        events = events.filter(occurred_on__gte=since)
    if until:
        events = events.filter(occurred_on__lte=until)
    return [
        ChronologyItem(
            at=_start(e.occurred_on) + dt.timedelta(hours=12),
            kind="event",
            title=f"{e.get_kind_display().split(' (')[0]}: {e.title}",
            text=e.details + f"\n(recorded by {e.recorded_by.full_name})",
        )
        for e in events
    ]


def _received_items(pupil: Pupil) -> list[ChronologyItem]:
    items: list[ChronologyItem] = []
    files = list(ReceivedFile.objects.filter(pupil=pupil))
    # a bundle whose concerns were recreated as concern records shows them as such
    recreated = set(
        Concern.objects.filter(imported_from__in=files).values_list("imported_from_id", flat=True)
    )
    for f in files:
        url = reverse("concerns:received_file", args=[f.pk])
        items.append(
            ChronologyItem(
                at=f.imported_at,
                kind="received",
                title=f"Child protection file received from {f.from_school_name}",
                text="A file-only record (a PDF from another system)."
                if f.kind == "pdf"
                else f"{len(f.data.get('concerns', []))} concerns in the bundle.",
                url=url,
            )
        )
        for c in [] if f.pk in recreated else f.data.get("concerns", []):
            try:
                at = dt.datetime.fromisoformat(c["happened_at"])
            except (KeyError, TypeError, ValueError):
                continue
            items.append(
                ChronologyItem(
                    at=at,
                    kind="received",
                    title=f"Concern at {f.from_school_name}: {c.get('category') or 'no category'}",
                    text=str(c.get("summary", "")),
                    url=url,
                    flags=("from the previous school",),
                )
            )
    return items


def siblings_of(actor: Actor, pupil: Pupil) -> list[Pupil]:
    """The pupil's brothers and sisters through their household, as far as the reader may see
    pupils (a sibling at another school of the trust only for those who see it)."""
    if pupil.household_id is None:
        return []
    return list(
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(household_id=pupil.household_id)
        .exclude(pk=pupil.pk)
        .select_related("school")
        .order_by("date_of_birth", "id")
    )


def build(actor: Actor, pupil: Pupil, filters: Filters | None = None) -> Chronology:
    """The pupil's chronology for the reader, oldest first (without recording the read: see
    :func:`chronology_for_viewing`)."""
    filters = filters or Filters()
    items, concern_ids, categories = _concern_items(actor, pupil, filters.since, filters.until)
    items += _event_items(pupil, filters.since, filters.until)
    items += [i for i in _received_items(pupil) if Filters(since=filters.since).keeps(i)]
    kinds = {k: v for k, v in KINDS.items() if k in {"concern", "action", "decision", "event"}}
    kinds["received"] = KINDS["received"]
    for source in sources():
        kinds[source.kind] = source.label
        items.extend(source.items(actor, pupil, filters.since, filters.until))
    kept = sorted((i for i in items if filters.keeps(i)), key=lambda i: (i.at, i.kind))
    return Chronology(
        pupil=pupil,
        items=kept,
        siblings=siblings_of(actor, pupil),
        concern_ids=concern_ids,
        categories=sorted(categories.items(), key=lambda kv: kv[1]),
        kinds=kinds,
    )


def chronology_for_viewing(
    *, actor: Actor, pupil: Pupil, filters: Filters | None = None, exported: bool = False
) -> Chronology:
    """Build the chronology and record the read (``concern.chronology_viewed``, or
    ``concern.chronology_exported`` for the PDF) with the concerns it showed."""
    chronology = build(actor, pupil, filters)
    shown = sorted({i.concern_id for i in chronology.items if i.concern_id is not None})
    record_read(
        "concern.chronology_exported" if exported else "concern.chronology_viewed",
        actor=actor,
        target=pupil,
        details={"concerns": shown, "items": len(chronology.items)},
    )
    return chronology


def render_pdf(chronology: Chronology, context: dict[str, Any]) -> bytes:
    """The chronology as a tagged PDF, for a case conference or a strategy meeting."""
    from chaperone.concerns.pdf import render

    return render("concerns/chronology_pdf.html", {"chronology": chronology, **context})


def parse_filters(params: Any, valid_categories: Sequence[str]) -> tuple[Filters, list[str]]:
    """Filters from a query string, and the problems with it (a bad date names its field)."""
    problems: list[str] = []

    def day(name: str, label: str) -> dt.date | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            problems.append(f"{label}: enter a date such as 2026-09-01.")
            return None

    since = day("since", "From")
    until = day("until", "To")
    if since and until and since > until:
        problems.append("To: the end date is before the start date.")
        until = None
    category = (params.get("category") or "").strip()
    if category and category not in valid_categories:
        problems.append("Category: choose one of the categories listed.")
        category = ""
    kinds = frozenset(k for k in params.getlist("kind") if k)
    return Filters(category=category, kinds=kinds, since=since, until=until), problems
