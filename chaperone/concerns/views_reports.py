"""The DSL's dashboard (its school, or every school of the trust for those who see the trust's
figures), the drill-down lists behind each figure, and the termly governors' report (counts
only, as a page and a PDF)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chaperone.audit.log import record as audit_record
from chaperone.audit.log import record_read
from chaperone.concerns import reports
from chaperone.concerns.pdf import safe_filename
from chaperone.core.http import ChaperoneRequest
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.schools import school_for


def _scope(request: ChaperoneRequest, action: str) -> tuple[School, list[int], bool]:
    """The active school, the schools the figures cover, and whether that is the whole trust
    (``?scope=trust``, for those who see the trust's figures)."""
    school = school_for(request, action)
    actor = request.actor
    if request.GET.get("scope") == "trust" and actor.can_in_trust(
        "trust.view_figures", school.trust_id
    ):
        in_trust = set(School.objects.filter(trust_id=school.trust_id).values_list("pk", flat=True))
        ids = sorted(actor.school_ids_for(action) & in_trust)
        return school, ids, True
    return school, [school.pk], False


@require_GET
def dashboard(request: ChaperoneRequest) -> HttpResponse:
    school, ids, whole_trust = _scope(request, "concern.reports")
    board = reports.dashboard(actor=request.actor, school_ids=ids)
    may_trust = request.actor.can_in_trust("trust.view_figures", school.trust_id)
    return render(
        request,
        "concerns/dashboard.html",
        {
            "school": school,
            "board": board,
            "whole_trust": whole_trust,
            "may_trust": may_trust,
            "scope_query": "scope=trust&" if whole_trust else "",
        },
    )


@require_GET
def report_list(request: ChaperoneRequest) -> HttpResponse:
    what = (request.GET.get("list") or "open")[:40]
    school, ids, whole_trust = _scope(request, "concern.reports")
    week = None
    if raw := request.GET.get("week"):
        try:
            week = dt.date.fromisoformat(raw)
        except ValueError:
            week = None
    found = reports.drill_down(
        actor=request.actor,
        school_ids=ids,
        what=what,
        category=(request.GET.get("category") or "")[:40],
        band=(request.GET.get("band") or "")[:20],
        week=week,
    )
    if found is None:
        raise Http404("No such list.")
    title, rows = found
    record_read(
        "concern.report_viewed",
        actor=request.actor,
        target=school,
        details={"list": what, "rows": len(rows), "trust": whole_trust},
    )
    return render(
        request,
        "concerns/report_list.html",
        {"school": school, "title": title, "rows": rows, "whole_trust": whole_trust},
    )


def _term(request: ChaperoneRequest) -> tuple[dt.date, dt.date, list[str]]:
    today = timezone.localdate()
    start = reports.term_start(today)
    problems: list[str] = []

    def day(name: str, label: str, default: dt.date) -> dt.date:
        raw = (request.GET.get(name) or "").strip()
        if not raw:
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            problems.append(f"{label}: enter a date such as {default.isoformat()}.")
            return default

    begin = day("from", "From", start)
    end = day("to", "To", today)
    if end < begin:
        problems.append("To: the end of the term is before its start.")
        end = today if today >= begin else begin
    return begin, end, problems


@require_GET
def governors_report(request: ChaperoneRequest) -> HttpResponse:
    school, ids, whole_trust = _scope(request, "concern.governors_report")
    begin, end, problems = _term(request)
    report = reports.governors_report(
        actor=_counting_actor(request, ids), school_ids=ids, term_from=begin, term_to=end
    )
    as_pdf = request.GET.get("format") == "pdf" and not problems
    audit_record(
        "concern.governors_report",
        actor=request.actor,
        target=school,
        details={"from": begin.isoformat(), "to": end.isoformat(), "pdf": as_pdf},
    )
    if as_pdf:
        response = HttpResponse(
            reports.render_governors_pdf(report), content_type="application/pdf"
        )
        name = safe_filename(f"safeguarding-report-{begin:%Y-%m-%d}-{end:%Y-%m-%d}.pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(
        request,
        "concerns/governors.html",
        {
            "school": school,
            "report": report,
            "problems": problems,
            "whole_trust": whole_trust,
            "term_from": begin,
            "term_to": end,
        },
        status=400 if problems else 200,
    )


def _counting_actor(request: ChaperoneRequest, school_ids: list[int]) -> Actor:
    """Whom the report counts for: its figures are counts of every concern about a child in
    the schools (a headteacher or the chair, who do not read them, still see how many). The
    counts are made as the system; nothing but numbers leaves :func:`reports.governors_report`."""
    from chaperone.tenancy.policies import SYSTEM

    if not all(request.actor.can("concern.governors_report", s) for s in school_ids):
        raise PermissionDenied("Not in every school.")
    return SYSTEM
