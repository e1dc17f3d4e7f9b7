"""Calendar pages: each person's own page of feed addresses (make, make again, revoke), and the
feed itself, reached by its secret address without signing in (a bad or revoked token is a 404
like any missing page)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chaperone.core.http import ChaperoneRequest
from chaperone.scheduling import feeds
from chaperone.scheduling.calendars import site_url
from chaperone.tenancy.schools import school_for


class FeedActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("create", "Make an address"), ("revoke", "Revoke the address")],
        error_messages={
            "required": "Action: choose what to do.",
            "invalid_choice": "Action: choose to make or revoke an address.",
        },
    )
    kind = forms.ChoiceField(
        choices=feeds.FeedKind.choices,
        error_messages={
            "required": "Calendar: choose which calendar.",
            "invalid_choice": "Calendar: choose your sessions or the school's timetable.",
        },
    )


def feed_url(token: str) -> str:
    return site_url(reverse("scheduling:calendar_feed", kwargs={"token": token}))


@require_http_methods(["GET", "POST"])
def calendar_page(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "session.plan")
    actor = request.actor
    kinds = [feeds.FeedKind.PERSONAL]
    if actor.can("session.timetable", school.pk):
        kinds.append(feeds.FeedKind.TIMETABLE)
    new: dict[str, str] = {}
    form = FeedActionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid() or form.cleaned_data["kind"] not in kinds:
            if form.is_valid():
                form.add_error("kind", "Calendar: choose a calendar you may have.")
            status = 400
        elif form.cleaned_data["action"] == "create":
            kind = form.cleaned_data["kind"]
            _, token = feeds.feed_create(actor=actor, school=school, kind=kind)
            new[kind] = feed_url(token)
        else:
            if feeds.feed_revoke(actor=actor, school=school, kind=form.cleaned_data["kind"]):
                messages.success(request, "Revoked: that address no longer works.")
            return redirect("scheduling:calendar")
    live = feeds.feeds_of(actor=actor, school=school)
    rows = [(kind, feeds.FeedKind(kind).label, live.get(kind), new.get(kind)) for kind in kinds]
    return render(
        request,
        "scheduling/feeds.html",
        {"school": school, "rows": rows, "form": form},
        status=status,
    )


@login_not_required
@require_GET
def calendar_feed(request: ChaperoneRequest, token: str) -> HttpResponse:
    found = feeds.feed_for_token(token)
    if found is None:
        raise Http404("No such record.")
    feed, owner = found
    body, etag = feeds.feed_ical(feed, owner)
    quoted = f'"{etag}"'
    if quoted in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = quoted
    response["Content-Disposition"] = 'inline; filename="chaperone.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
