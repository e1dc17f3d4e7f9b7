"""Welfare's figure on the safeguarding dashboard (the extension point of
:mod:`chaperone.concerns.reports`): welfare calls in the period where nobody at home was reached,
with the list behind it (one query each, bounded by the period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from chaperone.concerns.reports import ReportFigure, ReportRow
from chaperone.tenancy.policies import Actor
from chaperone.welfare.models import REACHED, CallLog


def _failed(school_ids: Sequence[int], since: dt.datetime) -> QuerySet[CallLog]:
    day = timezone.localtime(since).date() if timezone.is_aware(since) else since.date()
    families = CallLog.objects.filter(
        household__pupils__school_id__in=list(school_ids), day__gte=day
    ).exclude(outcome__in=sorted(REACHED))
    return CallLog.objects.filter(pk__in=families.values("pk"))


def _count(actor: Actor, school_ids: Sequence[int], since: dt.datetime) -> int:
    return _failed(school_ids, since).count()


def _rows(actor: Actor, school_ids: Sequence[int], since: dt.datetime) -> list[ReportRow]:
    return [
        ReportRow(
            call.day,
            call.household.name,
            f"{call.get_outcome_display()}; caller {call.caller.full_name}",
            reverse("welfare:escalations"),
        )
        for call in _failed(school_ids, since)
        .select_related("household", "caller")
        .order_by("day", "id")
    ]


FIGURES = [
    ReportFigure(
        "welfare_failed_contact", "Welfare calls with failed contact", _count, _rows, order=20
    )
]
