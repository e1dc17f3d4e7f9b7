"""Welfare's part of a child's safeguarding chronology (the extension point of
:mod:`chaperone.concerns.chronology`): every welfare call to the child's family, with its outcome,
whether the child was spoken to, the caller's notes and the concern raised from it. Shown to
whoever reads the chronology: the safeguarding team of the pupil's school."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from chaperone.concerns.chronology import ChronologyItem, ChronologySource
from chaperone.people.models import Pupil
from chaperone.tenancy.policies import Actor
from chaperone.welfare.models import CallLog


def _items(
    actor: Actor, pupil: Pupil, since: dt.date | None, until: dt.date | None
) -> Iterable[ChronologyItem]:
    if not actor.can("concern.chronology", pupil.school_id) or pupil.household_id is None:
        return []
    calls = CallLog.objects.filter(household_id=pupil.household_id)
    if since:
        calls = calls.filter(day__gte=since)
    if until:
        calls = calls.filter(day__lte=until)
    items = []
    for call in calls.select_related("caller").order_by("day", "made_at", "id"):
        flags = [call.get_outcome_display().lower()]
        if not call.reached:
            flags.append("not reached")
        if call.concern_id is not None:
            flags.append("concern raised")
        text = f"Called by {call.caller.full_name}"
        if call.reached:
            text += (
                "; spoke to the child" if call.spoke_to_child else "; did not speak to the child"
            )
        if call.notes:
            text += f". {call.notes}"
        items.append(
            ChronologyItem(
                at=timezone.localtime(call.made_at),
                kind="welfare_call",
                title=f"Welfare call: {call.get_outcome_display()}",
                text=text,
                flags=tuple(flags),
                concern_id=call.concern_id,
            )
        )
    return items


CHRONOLOGY = [ChronologySource("welfare_call", "Welfare calls", _items)]
