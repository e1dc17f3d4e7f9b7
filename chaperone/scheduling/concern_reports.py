"""Scheduling's figure on the safeguarding dashboard (the extension point of
:mod:`chaperone.concerns.reports`): sessions that ended early in the period (before their
planned end, or through End and report), with the list behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.urls import reverse

from chaperone.concerns.reports import ReportFigure, ReportRow
from chaperone.scheduling.concern_chronology import ended_early
from chaperone.scheduling.models import Session, SessionState
from chaperone.tenancy.policies import Actor


def _ended(actor: Actor, school_ids: Sequence[int], since: dt.datetime) -> list[Session]:
    # one query over the period's ended calls (bounded by the period, not by every concern)
    return [
        s
        for s in Session.objects.filter(
            school_id__in=list(school_ids), state=SessionState.ENDED, ended_at__gte=since
        )
        .select_related("host")
        .only(
            "id",
            "title",
            "starts_at",
            "duration_minutes",
            "state",
            "ended_at",
            "end_reason",
            "reported_concern_id",
            "host__first_name",
            "host__last_name",
        )
        .order_by("ended_at", "id")
        if ended_early(s)
    ]


def _count(actor: Actor, school_ids: Sequence[int], since: dt.datetime) -> int:
    return len(_ended(actor, school_ids, since))


def _rows(actor: Actor, school_ids: Sequence[int], since: dt.datetime) -> list[ReportRow]:
    return [
        ReportRow(
            s.ended_at,
            s.title,
            f"host {s.host.full_name}; "
            + ("ended with a concern reported" if s.reported_concern_id else "ended early")
            + (f": {s.end_reason}" if s.end_reason else ""),
            reverse("scheduling:detail", args=[s.pk]),
        )
        for s in _ended(actor, school_ids, since)
    ]


FIGURES = [ReportFigure("sessions_ended_early", "Sessions ended early", _count, _rows, order=10)]
