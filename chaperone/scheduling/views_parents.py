"""Pages for parents and carers, reached through the signed links in their emails (no account,
no sign-in), and the host's actions about them on the session's page.

A link that does not check out (changed, expired, made for another page, or for someone no longer
linked to the session) answers one page saying so, and shows nothing of any session. The public
pages are protected against cross-site posts like every other form (CSRF), and each address may
make only so many requests in a short time (:func:`_throttled`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.audit.log import record_read
from chaperone.core.http import AnyRequest, ChaperoneRequest
from chaperone.core.proxies import client_ip
from chaperone.protocols import selectors as protocol_selectors
from chaperone.protocols.documents import show_document
from chaperone.protocols.effective import effective_protocol_for_school
from chaperone.scheduling import consent, selectors
from chaperone.scheduling.models import Session, latest_decision
from chaperone.scheduling.parent_links import LinkRead, ParentLink, Purpose, expires_at, read_link

#: requests one address may make to the parents' pages per window
THROTTLE_REQUESTS = 60
THROTTLE_WINDOW_SECONDS = 10 * 60

#: reminders about the home that parents are shown in the protocol's own words
HOME_CODES = frozenset({"CAMERAS_ON", "CHAPERONE_REQUIRED", "BEDROOM_LOCATION"})

#: the confirmation shown after an answer (?done=...)
DONE_MESSAGES = {
    "given": "Thank you: your consent is recorded. You can withdraw it here at any time.",
    "refused": "Your answer is recorded: the session will not go ahead with your consent.",
    "revoked": "Your consent is withdrawn. The school is told the session needs consent again.",
}


def _throttled(request: AnyRequest) -> bool:
    key = f"scheduling.parents.{client_ip(request) or 'unknown'}"
    cache.add(key, 0, THROTTLE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, THROTTLE_WINDOW_SECONDS)
        count = 1
    return count > THROTTLE_REQUESTS


def _refusal(request: AnyRequest, read: LinkRead | None) -> HttpResponse:
    """The one page for a link that does not work: nothing of the session is shown."""
    if read is None:
        return render(request, "scheduling/parent_busy.html", status=429)
    return render(
        request, "scheduling/parent_link_invalid.html", {"expired": read.problem == "expired"}
    )


def _open(request: AnyRequest, token: str, purpose: Purpose) -> ParentLink | HttpResponse:
    if _throttled(request):
        return _refusal(request, None)
    read = read_link(token, purpose)
    if read.link is None:
        return _refusal(request, read)
    return read.link


def home_expectations(session: Session) -> list[str]:
    """What the plan and the protocol's answer ask of the pupil's home, in words for parents:
    the plan's facts, then the protocol's own texts for parents of the rules that applied."""
    said: list[str] = []
    if session.parent_present:
        said.append("A parent or carer stays in the room with your child for the whole call.")
    elif session.chaperone_present:
        said.append("Another adult you trust stays with your child for the whole call.")
    location = {
        "common_room": "Your child joins from a shared room, such as the kitchen or living "
        "room, not a bedroom.",
        "bedroom_door_open": "Your child joins from their bedroom with the door kept open.",
        "bedroom": "Your child joins from their bedroom.",
    }.get(session.pupil_location)
    if location:
        said.append(location)
    if session.platform == "phone":
        said.append("This is a telephone call: no camera is used.")
    else:
        said.append(f"The call is on {session.get_platform_display()}, set up by the school.")
    if session.recording:
        said.append("The school records the call and keeps the recording as its protocol says.")
    latest = latest_decision(session)
    effective = effective_protocol_for_school(session.school, on=consent.session_day(session))
    if latest is None or effective is None:
        return said
    for finding in latest.decision.get("findings", []):
        try:
            rule = effective.protocol.rule(finding.get("rule_id", ""))
        except KeyError:
            continue
        # the rule as the protocol explains it to parents, or a home-facing reminder's own words
        words = rule.parent or (rule.text if finding.get("code") in HOME_CODES else None)
        if words:
            text = effective.protocol.render(words)
            if text not in said:
                said.append(text)
    return said


def _session_context(link: ParentLink, **extra: Any) -> dict[str, Any]:
    session = link.session
    pupils = consent.pupils_of(link)
    deciding = consent.consent_for(session)
    own = [deciding.get(p.pk) for p in pupils]
    withdrawable = any(
        row is not None and row.contact_id == link.contact.pk and row.answer == "given"
        for row in own
    )
    return {
        "session": session,
        "school": session.school,
        "contact": link.contact,
        "pupils": pupils,
        "answers": list(zip(pupils, own, strict=True)),
        "withdrawable": withdrawable,
        "expectations": home_expectations(session),
        "scopes": consent.scopes_for(session),
        "term": consent.term_of(consent.session_day(session), school_id=session.school_id),
        "code_version": consent.PARENT_CODE_VERSION,
        "code_template": consent.PARENT_CODE_TEMPLATES[consent.PARENT_CODE_VERSION],
        "document_url": reverse(
            "scheduling:parent_document", kwargs={"token": link.token_for("document")}
        ),
        "expires_at": expires_at(session),
        **extra,
    }


@login_not_required
@require_http_methods(["GET", "POST"])
def parent_session(request: AnyRequest, token: str) -> HttpResponse:
    opened = _open(request, token, "consent")
    if isinstance(opened, HttpResponse):
        return opened
    link = opened
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "revoke":
                consent.consent_revoke(link=link)
                done = "revoked"
            else:
                answer = {"give": "given", "refuse": "refused"}.get(action, "")
                consent.consent_answer(
                    link=link,
                    answer=answer,
                    scope=request.POST.get("scope", ""),
                    accepts_code=request.POST.get("accept_code") == consent.PARENT_CODE_VERSION,
                    code_version=request.POST.get("accept_code", ""),
                )
                done = answer
        except consent.ConsentProblem as problem:
            context = _session_context(link, problem=problem, posted=request.POST)
            return render(request, "scheduling/parent_session.html", context, status=400)
        return redirect(f"{request.path}?done={done}")
    record_read(
        "session.parent_viewed",
        actor=consent.parent_actor(link.contact),
        target=link.session,
        details={"contact_id": link.contact.pk, "by": consent.parent_label(link.contact)},
    )
    done_message = DONE_MESSAGES.get(request.GET.get("done", ""))
    return render(
        request, "scheduling/parent_session.html", _session_context(link, done=done_message)
    )


@login_not_required
@require_GET
def parent_document(request: AnyRequest, token: str) -> HttpResponse:
    """The school's protocol for parents, as in force on the session's day."""
    opened = _open(request, token, "document")
    if isinstance(opened, HttpResponse):
        return opened
    session = opened.session
    school = session.school
    effective = effective_protocol_for_school(school, on=consent.session_day(session))
    context: dict[str, Any] = {"school": school, "doc": None, "effective": effective}
    if effective is not None:
        context["doc"] = show_document(effective.protocol, "parent")
        context["contacts"] = protocol_selectors.school_contacts(
            school=school, protocol=effective.protocol
        )
    return render(request, "scheduling/parent_document.html", context)


# --- the host's side, on the session's page -----------------------------------------------------


def _managed(request: ChaperoneRequest, pk: int) -> Session:
    session = selectors.session_get_for_viewing(actor=request.actor, session_id=pk)
    if not selectors.may_manage(request.actor, session):
        raise Http404("No such record.")
    return session


@require_POST
def parent_resend(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    try:
        consent.consent_request_resend(actor=request.actor, session=session)
    except consent.ConsentProblem as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, "The consent request is on its way to the parents again.")
    return redirect("scheduling:detail", pk=session.pk)


@require_POST
def parent_implied(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    try:
        consent.consent_record_implied(
            actor=request.actor, session=session, note=request.POST.get("note", "")[:2000]
        )
    except consent.ConsentProblem as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, "Implied consent recorded; it stays flagged until confirmed.")
    return redirect("scheduling:detail", pk=session.pk)
